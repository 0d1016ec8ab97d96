import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createSession } from '../auth/sessions';
import { DEFAULT_SETTINGS, getSettings, sessionCap, updateSettings } from './settings';
import { testServices } from '../testing';

const device = { userAgent: 'curl/8', ip: '127.0.0.1', rememberMe: false };

describe('settings', () => {
	it('starts from the defaults and stores a partial update', async () => {
		const deps = await testServices();
		expect(await getSettings(deps.db)).toEqual(DEFAULT_SETTINGS);
		const next = await updateSettings(deps, { retentionDays: 30, maxSessions: 3 });
		expect(next).toEqual({ ...DEFAULT_SETTINGS, retentionDays: 30, maxSessions: 3 });
		expect(await getSettings(deps.db)).toEqual(next);
		expect((await updateSettings(deps, { maxSessions: null })).maxSessions).toBeNull();
	});

	it('sees a row changed behind its back at the next read; each caller gets its own copy', async () => {
		const deps = await testServices();
		const first = await getSettings(deps.db);
		first.sttScope.push('1');
		first.retentionDays = 99;
		expect(await getSettings(deps.db)).toEqual(DEFAULT_SETTINGS); // the copy was the caller's
		await deps.db
			.insertInto('settings')
			.values({ key: 'sttScope', value: '["7:100"]', updated_at: 0 })
			.execute();
		expect((await getSettings(deps.db)).sttScope).toEqual(['7:100']);
		await deps.db
			.updateTable('settings')
			.set({ value: 'not json' })
			.where('key', '=', 'sttScope')
			.execute();
		expect((await getSettings(deps.db)).sttScope).toEqual([]); // damaged: the default
	});

	it('refuses bad values and unknown keys with errors naming the field, storing nothing', async () => {
		const deps = await testServices();
		for (const [patch, field] of [
			[{ retentionDays: -1 }, 'retentionDays'],
			[{ maxSessions: 0 }, 'maxSessions'],
			[{ duplicateWindowMs: 1.5 }, 'duplicateWindowMs'],
			[{ publicListening: 'yes' }, 'publicListening']
		] as const) {
			const err = await updateSettings(deps, { retentionDays: 5, ...patch } as never).catch(
				(e) => e
			);
			expect(err).toBeInstanceOf(ZodError);
			expect((err as ZodError).issues.map((i) => i.path.join('.'))).toEqual([field]);
		}
		const unknown = await updateSettings(deps, { colour: 'red' } as never).catch((e) => e);
		expect((unknown as ZodError).issues[0].message).toMatch(/colour/);
		expect(await getSettings(deps.db)).toEqual(DEFAULT_SETTINGS);
	});

	it('falls back to the default for a damaged stored value', async () => {
		const deps = await testServices();
		await deps.db
			.insertInto('settings')
			.values({ key: 'retentionDays', value: '{not json', updated_at: 0 })
			.execute();
		await deps.db
			.insertInto('settings')
			.values({ key: 'maxSessions', value: '"many"', updated_at: 0 })
			.execute();
		expect(await getSettings(deps.db)).toEqual(DEFAULT_SETTINGS);
	});

	it('announces access.changed only when public listening flips', async () => {
		const deps = await testServices();
		await updateSettings(deps, { publicListening: false });
		await updateSettings(deps, { retentionDays: 3 });
		expect(deps.published).toEqual([]);
		await updateSettings(deps, { publicListening: true });
		expect(deps.published).toEqual([{ topic: 'access.changed', payload: { userId: null } }]);
	});

	it('the session cap comes from the setting at each sign-in, else from the environment', async () => {
		const deps = await testServices({ SQUELCH_MAX_SESSIONS: '4' });
		const { id: userId } = await deps.db
			.insertInto('users')
			.values({ username: 'u', password_hash: 'x', role: 'listener', created_at: 0, updated_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		const active = async () =>
			(
				await deps.db
					.selectFrom('sessions')
					.select('id')
					.where('user_id', '=', userId)
					.where('revoked_at', 'is', null)
					.execute()
			).length;
		expect(await sessionCap(deps.db, 4)).toBe(4);
		for (let i = 0; i < 5; i++) {
			deps.clock.advance(1000);
			await createSession(deps, userId, device);
		}
		expect(await active()).toBe(4);
		await updateSettings(deps, { maxSessions: 2 });
		deps.clock.advance(1000);
		await createSession(deps, userId, device);
		expect(await active()).toBe(2);
		const reasons = await deps.db
			.selectFrom('sessions')
			.select('revoke_reason')
			.where('revoke_reason', 'is not', null)
			.execute();
		expect(reasons.every((r) => r.revoke_reason === 'cap')).toBe(true);
	});
});

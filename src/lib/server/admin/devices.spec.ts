import { describe, expect, it } from 'vitest';
import { createSession } from '../auth/sessions';
import { listDevices, revokeAllDevices, revokeDevice } from './devices';
import { testServices } from '../testing';

const phone = {
	userAgent:
		'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1',
	ip: '10.0.0.2',
	rememberMe: true
};
const laptop = {
	userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
	ip: '10.0.0.3',
	rememberMe: true
};

async function user(deps: Awaited<ReturnType<typeof testServices>>, username: string) {
	const { id } = await deps.db
		.insertInto('users')
		.values({ username, password_hash: 'x', role: 'listener', created_at: 0, updated_at: 0 })
		.returning('id')
		.executeTakeFirstOrThrow();
	return id;
}

describe('admin devices', () => {
	it("lists every user's active sessions, newest use first, optionally for one user", async () => {
		const deps = await testServices();
		const ann = await user(deps, 'ann');
		const bob = await user(deps, 'bob');
		const annPhone = await createSession(deps, ann, phone);
		deps.clock.advance(1000);
		const bobLaptop = await createSession(deps, bob, laptop);
		deps.clock.advance(1000);
		const gone = await createSession(deps, bob, phone);
		await revokeDevice(deps, gone.session.id);

		const all = await listDevices(deps, { currentSessionId: bobLaptop.session.id });
		expect(all.map((d) => [d.user.username, d.ip, d.current])).toEqual([
			['bob', '10.0.0.3', true],
			['ann', '10.0.0.2', false]
		]);
		expect(all[1].device).toMatch(/iPhone|Safari/);
		expect(all[1].createdAt.getTime()).toBe(annPhone.session.created_at);
		expect((await listDevices(deps, { userId: ann })).map((d) => d.id)).toEqual([
			annPhone.session.id
		]);
	});

	it('revokes one session with reason admin, and refuses one that is not active', async () => {
		const deps = await testServices();
		const ann = await user(deps, 'ann');
		const { session } = await createSession(deps, ann, phone);
		await revokeDevice(deps, session.id);
		const row = await deps.db
			.selectFrom('sessions')
			.select('revoke_reason')
			.where('id', '=', session.id)
			.executeTakeFirstOrThrow();
		expect(row.revoke_reason).toBe('admin');
		expect(deps.published).toContainEqual({
			topic: 'session.revoked',
			payload: { sessionId: session.id, userId: ann, reason: 'admin' }
		});
		await expect(revokeDevice(deps, session.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
		await expect(revokeDevice(deps, 'no-such-session')).rejects.toMatchObject({
			code: 'NOT_FOUND'
		});
	});

	it("revokes all of a user's sessions, keeping the admin's own current one", async () => {
		const deps = await testServices();
		const ann = await user(deps, 'ann');
		const admin = await user(deps, 'admin');
		await createSession(deps, ann, phone);
		await createSession(deps, ann, laptop);
		const own = await createSession(deps, admin, laptop);
		await createSession(deps, admin, phone);
		expect(await revokeAllDevices(deps, ann, { userId: admin, sessionId: own.session.id })).toBe(2);
		expect(await revokeAllDevices(deps, admin, { userId: admin, sessionId: own.session.id })).toBe(
			1
		);
		expect((await listDevices(deps)).map((d) => d.id)).toEqual([own.session.id]);
		await expect(
			revokeAllDevices(deps, 999, { userId: admin, sessionId: own.session.id })
		).rejects.toMatchObject({ code: 'NOT_FOUND' });
	});
});

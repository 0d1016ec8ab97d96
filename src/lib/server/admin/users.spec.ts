import { beforeEach, describe, expect, it } from 'vitest';
import { createSession, rotateRefreshToken } from '../auth/sessions';
import { insertUser, login } from '../auth/accounts';
import { codeOf, testServices, type TestServices } from '../testing';
import { seedSystem } from './test-support';
import {
	createUser,
	deleteUser,
	listUsers,
	resetPassword,
	setUserAccess,
	updateUser,
	getUser
} from './users';

const device = {
	userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
	ip: '10.0.0.1',
	rememberMe: true
};

async function activeSessionIds(deps: TestServices, userId: number) {
	const rows = await deps.db
		.selectFrom('sessions')
		.select('id')
		.where('user_id', '=', userId)
		.where('revoked_at', 'is', null)
		.execute();
	return rows.map((r) => r.id);
}

async function revokeReasons(deps: TestServices, userId: number) {
	const rows = await deps.db
		.selectFrom('sessions')
		.select('revoke_reason')
		.where('user_id', '=', userId)
		.execute();
	return rows.map((r) => r.revoke_reason);
}

describe('admin users', () => {
	let deps: TestServices;
	let root: number;

	beforeEach(async () => {
		deps = await testServices();
		root = await insertUser(deps, { username: 'root', password: 'root-password', role: 'admin' });
	});

	it('usernames are unique and signed in with regardless of case, on SQLite and PostgreSQL alike', async () => {
		const id = await createUser(deps, root, {
			username: 'Dispatch',
			password: 'password-1',
			role: 'listener'
		});
		for (const clash of ['dispatch', 'DISPATCH', 'disPATCH'])
			expect(
				await codeOf(
					createUser(deps, root, { username: clash, password: 'password-2', role: 'listener' })
				)
			).toBe('CONFLICT');
		expect(await codeOf(updateUser(deps, root, root, { username: 'DISPATCH' }))).toBe('CONFLICT');
		// The database itself refuses a case variant that bypassed the service.
		await expect(
			deps.db
				.insertInto('users')
				.values({
					username: 'DiSpAtCh',
					password_hash: 'x',
					role: 'listener',
					created_at: 0,
					updated_at: 0
				})
				.execute()
		).rejects.toThrow(/unique/i);
		for (const name of ['dispatch', 'DISPATCH'])
			expect((await login(deps, { username: name, password: 'password-1' }, device)).user.id).toBe(
				id
			);
		expect(await codeOf(login(deps, { username: 'dispatch', password: 'nope-nope' }, device))).toBe(
			'UNAUTHORIZED'
		);
		// Renaming to another case of one's own name is no clash; the list sorts without case.
		await updateUser(deps, root, id, { username: 'DISPATCH' });
		await createUser(deps, root, { username: 'alpha', password: 'password-3', role: 'listener' });
		await createUser(deps, root, { username: 'Zulu', password: 'password-4', role: 'listener' });
		expect((await listUsers(deps)).map((u) => u.username)).toEqual([
			'alpha',
			'DISPATCH',
			'root',
			'Zulu'
		]);
	});

	it('creates a user who must change the password, with access inferred from grants', async () => {
		const { systemId, talkgroupIds } = await seedSystem(deps.db, 10, 'County', [101, 102]);
		const open = await createUser(deps, root, {
			username: 'open',
			password: 'password-1',
			role: 'listener'
		});
		const limited = await createUser(deps, root, {
			username: 'limited',
			password: 'password-2',
			role: 'listener',
			access: { systems: [], talkgroups: [talkgroupIds[1]] }
		});
		const users = await listUsers(deps);
		const o = users.find((u) => u.id === open)!;
		const l = users.find((u) => u.id === limited)!;
		expect(o).toMatchObject({
			username: 'open',
			role: 'listener',
			mustChangePassword: true,
			accessAll: true,
			disabled: false
		});
		expect(l).toMatchObject({
			accessAll: false,
			access: { systems: [], talkgroups: [talkgroupIds[1]] }
		});
		const row = await deps.db
			.selectFrom('user_access')
			.selectAll()
			.where('user_id', '=', limited)
			.executeTakeFirstOrThrow();
		expect(row).toEqual({ user_id: limited, system_id: systemId, talkgroup_id: talkgroupIds[1] });
		const stored = await deps.db
			.selectFrom('users')
			.select('password_hash')
			.where('id', '=', limited)
			.executeTakeFirstOrThrow();
		expect(await deps.passwords.verify(stored.password_hash, 'password-2')).toBe(true);

		const events = await deps.db
			.selectFrom('events')
			.selectAll()
			.where('type', '=', 'user.created')
			.execute();
		expect(events.map((e) => [e.user_id, JSON.parse(e.data).by])).toContainEqual([limited, root]);
	});

	it('refuses a taken username (any case) and grants to ids that do not exist, writing nothing', async () => {
		expect(
			await codeOf(
				createUser(deps, root, { username: 'ROOT', password: 'password-1', role: 'listener' })
			)
		).toBe('CONFLICT');
		await expect(
			createUser(deps, root, {
				username: 'ghost',
				password: 'password-1',
				role: 'listener',
				access: { systems: [999], talkgroups: [] }
			})
		).rejects.toThrow(/access\.systems: no system with id 999/);
		await expect(
			createUser(deps, root, {
				username: 'ghost',
				password: 'password-1',
				role: 'listener',
				access: { systems: [], talkgroups: [42] }
			})
		).rejects.toThrow(/access\.talkgroups/);
		expect((await listUsers(deps)).map((u) => u.username)).toEqual(['root']);
	});

	it('lists active sessions and the last time any session was used', async () => {
		const id = await createUser(deps, root, {
			username: 'phoneuser',
			password: 'password-1',
			role: 'listener'
		});
		expect((await getUser(deps, id)).lastSeenAt).toBeNull();
		await createSession(deps, id, device);
		deps.clock.advance(60_000);
		const second = await createSession(deps, id, device);
		deps.clock.advance(60_000);
		await deps.db
			.updateTable('sessions')
			.set({ revoked_at: deps.clock.now(), revoke_reason: 'logout' })
			.where('id', '=', second.session.id)
			.execute();
		const user = await getUser(deps, id);
		expect(user.activeSessions).toBe(1);
		expect(user.lastSeenAt?.getTime()).toBe(second.session.last_used_at);
	});

	describe('self protection', () => {
		it('nobody demotes, disables, expires, resets or deletes themselves', async () => {
			await createUser(deps, root, {
				username: 'other-admin',
				password: 'password-1',
				role: 'admin'
			});
			expect(await codeOf(updateUser(deps, root, root, { role: 'listener' }))).toBe('FORBIDDEN');
			expect(await codeOf(updateUser(deps, root, root, { disabled: true }))).toBe('FORBIDDEN');
			expect(
				await codeOf(
					updateUser(deps, root, root, { expiresAt: new Date(deps.clock.now() + 86_400_000) })
				)
			).toBe('FORBIDDEN');
			expect(await codeOf(resetPassword(deps, root, root, 'new-password-1'))).toBe('FORBIDDEN');
			expect(await codeOf(deleteUser(deps, root, root))).toBe('FORBIDDEN');
			expect(await getUser(deps, root)).toMatchObject({
				role: 'admin',
				disabled: false,
				expiresAt: null
			});
		});

		it('but may rename themselves', async () => {
			expect((await updateUser(deps, root, root, { username: 'boss' })).username).toBe('boss');
		});
	});

	describe('the last active admin', () => {
		let second: number;
		beforeEach(async () => {
			second = await createUser(deps, root, {
				username: 'second',
				password: 'password-1',
				role: 'admin'
			});
		});

		it('can be demoted, disabled or deleted while another active admin exists', async () => {
			await updateUser(deps, root, second, { role: 'listener' });
			expect((await getUser(deps, second)).role).toBe('listener');
			await updateUser(deps, root, second, { role: 'admin' });
			await updateUser(deps, root, second, { disabled: true });
			await updateUser(deps, root, second, { disabled: false });
			await deleteUser(deps, root, second);
			expect((await listUsers(deps)).map((u) => u.username)).toEqual(['root']);
		});

		it('a disabled admin does not count as another active admin', async () => {
			await updateUser(deps, second, root, { disabled: true });
			expect(await codeOf(updateUser(deps, root, second, { role: 'listener' }))).toBe('CONFLICT');
			await updateUser(deps, second, root, { disabled: false });
			await updateUser(deps, root, second, { role: 'listener' });
			expect((await getUser(deps, second)).role).toBe('listener');
		});

		it('is never disabled, demoted, expired or deleted', async () => {
			await deleteUser(deps, root, second);
			const listener = await createUser(deps, root, {
				username: 'listener',
				password: 'password-1',
				role: 'listener'
			});
			// An admin whose account expired does not count as active.
			const expired = await createUser(deps, root, {
				username: 'expired-admin',
				password: 'password-1',
				role: 'admin'
			});
			await updateUser(deps, root, expired, { expiresAt: new Date(deps.clock.now() + 1000) });
			deps.clock.advance(2000);
			// One after another: each refusal is awaited before the next attempt starts.
			for (const attempt of [
				() => updateUser(deps, expired, root, { disabled: true }),
				() => updateUser(deps, expired, root, { role: 'listener' }),
				() =>
					updateUser(deps, expired, root, { expiresAt: new Date(deps.clock.now() + 86_400_000) }),
				() => deleteUser(deps, expired, root)
			]) {
				const err = await attempt().then(
					() => null,
					(e: Error & { code: string }) => e
				);
				expect(err?.code).toBe('CONFLICT');
				expect(err?.message).toMatch(/root is the last active admin/);
			}
			expect(await getUser(deps, root)).toMatchObject({
				role: 'admin',
				disabled: false,
				expiresAt: null
			});
			expect(listener).toBeGreaterThan(0);
		});

		it('two admins cannot give each other an expiry: one must keep none', async () => {
			const later = new Date(deps.clock.now() + 86_400_000);
			await updateUser(deps, root, second, { expiresAt: later });
			const err = await updateUser(deps, second, root, { expiresAt: later }).then(
				() => null,
				(e: Error & { code: string }) => e
			);
			expect(err?.code).toBe('CONFLICT');
			expect(err?.message).toMatch(/root is the last active admin .*given an expiry/);
			// An admin with an expiry does not count for demoting, disabling or deleting either.
			expect(await codeOf(updateUser(deps, second, root, { role: 'listener' }))).toBe('CONFLICT');
			expect(await codeOf(updateUser(deps, second, root, { disabled: true }))).toBe('CONFLICT');
			expect(await codeOf(deleteUser(deps, second, root))).toBe('CONFLICT');
			deps.clock.advance(2 * 86_400_000);
			expect(await getUser(deps, root)).toMatchObject({ disabled: false, expiresAt: null });
			// With the expiry taken off, the other admin counts again.
			await updateUser(deps, root, second, { expiresAt: null });
			await updateUser(deps, second, root, { expiresAt: later });
			expect((await getUser(deps, root)).expiresAt).toEqual(later);
		});

		it('survives two admins disabling each other at the same time', async () => {
			const results = await Promise.allSettled([
				updateUser(deps, root, second, { disabled: true }),
				updateUser(deps, second, root, { disabled: true })
			]);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
			expect(rejected.reason.code).toBe('CONFLICT');
			const admins = (await listUsers(deps)).filter((u) => u.role === 'admin' && !u.disabled);
			expect(admins).toHaveLength(1);
		});
	});

	it('disabling signs the user out everywhere with reason disabled, and enabling does not sign in', async () => {
		const id = await createUser(deps, root, {
			username: 'lis',
			password: 'password-1',
			role: 'listener'
		});
		await createSession(deps, id, device);
		await createSession(deps, id, device);
		deps.published.length = 0;
		await updateUser(deps, root, id, { disabled: true });
		expect(await activeSessionIds(deps, id)).toEqual([]);
		expect(await revokeReasons(deps, id)).toEqual(['disabled', 'disabled']);
		expect(
			deps.published.filter((p) => p.topic === 'session.revoked').map((p) => p.payload)
		).toEqual([
			expect.objectContaining({ userId: id, reason: 'disabled' }),
			expect.objectContaining({ userId: id, reason: 'disabled' })
		]);
		const updated = await deps.db
			.selectFrom('events')
			.selectAll()
			.where('type', '=', 'user.updated')
			.execute();
		expect(JSON.parse(updated.at(-1)!.data)).toMatchObject({ changes: ['disabled'], by: root });

		const user = await updateUser(deps, root, id, { disabled: false });
		expect(user.disabled).toBe(false);
		expect(user.activeSessions).toBe(0);
	});

	it('an expiry already in the past signs the user out; a future one does not', async () => {
		const id = await createUser(deps, root, {
			username: 'temp',
			password: 'password-1',
			role: 'listener'
		});
		await createSession(deps, id, device);
		await updateUser(deps, root, id, { expiresAt: new Date(deps.clock.now() + 3_600_000) });
		expect(await activeSessionIds(deps, id)).toHaveLength(1);
		await updateUser(deps, root, id, { expiresAt: new Date(deps.clock.now() - 1) });
		expect(await activeSessionIds(deps, id)).toHaveLength(0);
		expect(await revokeReasons(deps, id)).toEqual(['disabled']);
	});

	it('once an account expiry passes, refresh gives no fresh tokens', async () => {
		const id = await createUser(deps, root, {
			username: 'contractor',
			password: 'password-1',
			role: 'listener'
		});
		const issued = await createSession(deps, id, device);
		await updateUser(deps, root, id, { expiresAt: new Date(deps.clock.now() + 60_000) });
		const before = await rotateRefreshToken(deps, issued.refreshToken);
		expect(before.ok).toBe(true);
		deps.clock.advance(61_000);
		expect(
			await rotateRefreshToken(deps, (before as { refreshToken: string }).refreshToken)
		).toEqual({ ok: false, reason: 'expired' });
	});

	it('a role change signs the user out (reason admin) and announces access.changed', async () => {
		const id = await createUser(deps, root, {
			username: 'promoted',
			password: 'password-1',
			role: 'listener'
		});
		await createSession(deps, id, device);
		deps.published.length = 0;
		await updateUser(deps, root, id, { role: 'admin' });
		expect(await revokeReasons(deps, id)).toEqual(['admin']);
		expect(deps.published).toContainEqual({ topic: 'access.changed', payload: { userId: id } });
	});

	it('renaming keeps the sessions, and refuses a taken name', async () => {
		const id = await createUser(deps, root, {
			username: 'alpha',
			password: 'password-1',
			role: 'listener'
		});
		await createSession(deps, id, device);
		expect(await codeOf(updateUser(deps, root, id, { username: 'Root' }))).toBe('CONFLICT');
		await updateUser(deps, root, id, { username: 'beta' });
		expect(await activeSessionIds(deps, id)).toHaveLength(1);
		expect(await codeOf(updateUser(deps, root, 9999, { username: 'x' }))).toBe('NOT_FOUND');
	});

	it('resetting a password sets it, requires a change, and signs out with reason password', async () => {
		const id = await createUser(deps, root, {
			username: 'forgetful',
			password: 'password-1',
			role: 'listener',
			mustChangePassword: false
		});
		expect((await getUser(deps, id)).mustChangePassword).toBe(false);
		await createSession(deps, id, device);
		await resetPassword(deps, root, id, 'brand-new-password');
		const row = await deps.db
			.selectFrom('users')
			.selectAll()
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		expect(row.must_change_password).toBe(1);
		expect(await deps.passwords.verify(row.password_hash, 'brand-new-password')).toBe(true);
		expect(await revokeReasons(deps, id)).toEqual(['password']);
	});

	describe('access', () => {
		it('narrowing or widening signs nobody out and announces access.changed', async () => {
			const a = await seedSystem(deps.db, 1, 'A', [11, 12]);
			const b = await seedSystem(deps.db, 2, 'B', [21]);
			const id = await createUser(deps, root, {
				username: 'scoped',
				password: 'password-1',
				role: 'listener'
			});
			await createSession(deps, id, device);

			// everything → one system → that system plus a talkgroup of another → one talkgroup.
			for (const access of [
				{ systems: [a.systemId], talkgroups: [] },
				{ systems: [a.systemId], talkgroups: [b.talkgroupIds[0]] },
				{ systems: [], talkgroups: [a.talkgroupIds[0]] }
			]) {
				deps.published.length = 0;
				const user = await setUserAccess(deps, root, id, { accessAll: false, ...access });
				expect(user.access).toEqual(access);
				expect(await activeSessionIds(deps, id)).toHaveLength(1);
				expect(deps.published).toEqual([
					{ topic: 'access.changed', payload: { userId: id } },
					{ topic: 'admin.event', payload: expect.any(Object) }
				]);
			}
		});

		it('refuses unknown ids and leaves the old grants in place', async () => {
			const a = await seedSystem(deps.db, 1, 'A', [11]);
			const id = await createUser(deps, root, {
				username: 'scoped',
				password: 'password-1',
				role: 'listener',
				access: { systems: [a.systemId], talkgroups: [] }
			});
			await expect(
				setUserAccess(deps, root, id, { accessAll: false, systems: [], talkgroups: [777] })
			).rejects.toThrow(/access\.talkgroups/);
			expect((await getUser(deps, id)).access).toEqual({ systems: [a.systemId], talkgroups: [] });
		});
	});

	it('deleting signs the user out (reason disabled, announced) and removes them and their grants', async () => {
		const a = await seedSystem(deps.db, 1, 'A', [11]);
		const id = await createUser(deps, root, {
			username: 'leaver',
			password: 'password-1',
			role: 'listener',
			access: { systems: [a.systemId], talkgroups: [] }
		});
		const { session } = await createSession(deps, id, device);
		deps.published.length = 0;
		await deleteUser(deps, root, id);
		expect(deps.published).toContainEqual({
			topic: 'session.revoked',
			payload: { sessionId: session.id, userId: id, reason: 'disabled' }
		});
		expect(
			await deps.db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()
		).toBeUndefined();
		expect(
			await deps.db.selectFrom('user_access').selectAll().where('user_id', '=', id).execute()
		).toEqual([]);
		expect(
			await deps.db.selectFrom('sessions').selectAll().where('user_id', '=', id).execute()
		).toEqual([]);
		const last = await deps.db
			.selectFrom('events')
			.selectAll()
			.orderBy('id', 'desc')
			.executeTakeFirstOrThrow();
		expect(last.type).toBe('user.updated');
		expect(JSON.parse(last.data)).toMatchObject({ changes: ['deleted'], username: 'leaver' });
		expect(await codeOf(deleteUser(deps, root, id))).toBe('NOT_FOUND');
	});
});

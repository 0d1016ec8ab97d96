import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { createAndSignIn, errorCode, signInAdmin, trpc, type Client } from '../helpers/client';
import { startServer, type TestServer } from '../helpers/server';

/** The admin API against the real production server, over real HTTP. */

async function refusal(
	promise: Promise<unknown>
): Promise<{ code: string; status: number; message: string; fields?: string[] }> {
	try {
		await promise;
	} catch (err) {
		if (err instanceof TRPCClientError) {
			return {
				code: err.data?.code,
				status: err.data?.httpStatus,
				message: err.message,
				fields: err.data?.fields
			};
		}
		throw err;
	}
	throw new Error('expected the call to fail, but it succeeded');
}

let server: TestServer;
let admin: Awaited<ReturnType<typeof signInAdmin>>;
let adminId: number;

beforeAll(async () => {
	server = await startServer();
	admin = await signInAdmin(server.url);
	adminId = admin.auth.user.id;
});

afterAll(async () => {
	await server?.stop();
});

describe('users', () => {
	it('a created user must change the password, and shows up with sessions and last seen', async () => {
		const user = await createAndSignIn(server.url, admin.client, 'newbie');
		expect(await user.client.auth.me.query()).toMatchObject({
			username: 'newbie',
			role: 'listener',
			mustChangePassword: true
		});
		const listed = (await admin.client.admin.users.list.query()).find((u) => u.id === user.id)!;
		expect(listed).toMatchObject({ activeSessions: 1, accessAll: true, disabled: false });
		expect(listed.lastSeenAt).toBeInstanceOf(Date);

		await user.client.auth.changePassword.mutate({
			currentPassword: user.password,
			newPassword: 'my-own-password'
		});
		expect((await user.client.auth.me.query()).mustChangePassword).toBe(false);
	});

	it('disabling a user fails their access token at once (401) and their refresh, and stops sign-in', async () => {
		const user = await createAndSignIn(server.url, admin.client, 'soon-disabled');
		expect((await user.client.auth.me.query()).username).toBe('soon-disabled');

		await admin.client.admin.users.update.mutate({ id: user.id, disabled: true });
		expect(await refusal(user.client.auth.me.query())).toMatchObject({
			code: 'UNAUTHORIZED',
			status: 401
		});
		expect(
			await errorCode(
				trpc(server.url).auth.refresh.mutate({ refreshToken: user.auth.refreshToken! })
			)
		).toBe('UNAUTHORIZED');
		expect(
			await errorCode(
				trpc(server.url).auth.login.mutate({ username: 'soon-disabled', password: user.password })
			)
		).toBe('UNAUTHORIZED');
		const sessions = await admin.client.admin.sessions.list.query({ userId: user.id });
		expect(sessions).toEqual([]);

		await admin.client.admin.users.update.mutate({ id: user.id, disabled: false });
		const again = await trpc(server.url).auth.login.mutate({
			username: 'soon-disabled',
			password: user.password
		});
		expect(again.user.id).toBe(user.id);
	});

	it('resetting a password signs the user out and requires a new password', async () => {
		const user = await createAndSignIn(server.url, admin.client, 'forgetful');
		await admin.client.admin.users.resetPassword.mutate({
			id: user.id,
			password: 'temporary-pass'
		});
		expect(await errorCode(user.client.auth.me.query())).toBe('UNAUTHORIZED');
		expect(
			await errorCode(
				trpc(server.url).auth.login.mutate({ username: 'forgetful', password: user.password })
			)
		).toBe('UNAUTHORIZED');
		const auth = await trpc(server.url).auth.login.mutate({
			username: 'forgetful',
			password: 'temporary-pass'
		});
		expect(
			(await trpc(server.url, { token: auth.accessToken }).auth.me.query()).mustChangePassword
		).toBe(true);
	});

	it('a demoted admin loses the admin API at once', async () => {
		const other = await createAndSignIn(server.url, admin.client, 'deputy', 'admin');
		expect(Array.isArray(await other.client.admin.users.list.query())).toBe(true);
		await admin.client.admin.users.update.mutate({ id: other.id, role: 'listener' });
		// Role changes sign the user out; after signing in again they are a listener.
		expect(await errorCode(other.client.admin.users.list.query())).toBe('UNAUTHORIZED');
		const auth = await trpc(server.url).auth.login.mutate({
			username: 'deputy',
			password: other.password
		});
		expect(
			await errorCode(trpc(server.url, { token: auth.accessToken }).admin.users.list.query())
		).toBe('FORBIDDEN');
	});

	it('guards: nobody demotes, disables, expires, resets or deletes themselves', async () => {
		const self = admin.client.admin.users;
		expect(await refusal(self.update.mutate({ id: adminId, role: 'listener' }))).toMatchObject({
			code: 'FORBIDDEN',
			message: 'role: you cannot demote yourself'
		});
		expect(await refusal(self.update.mutate({ id: adminId, disabled: true }))).toMatchObject({
			code: 'FORBIDDEN'
		});
		expect(
			await refusal(
				self.update.mutate({ id: adminId, expiresAt: new Date(Date.now() + 86_400_000) })
			)
		).toMatchObject({ code: 'FORBIDDEN' });
		expect(
			await refusal(self.resetPassword.mutate({ id: adminId, password: 'whatever-123' }))
		).toMatchObject({ code: 'FORBIDDEN' });
		expect(await refusal(self.delete.mutate({ id: adminId }))).toMatchObject({ code: 'FORBIDDEN' });
		expect(await admin.client.auth.me.query()).toMatchObject({ id: adminId, role: 'admin' });
	});

	it('two admins disabling each other at the same moment leave exactly one active admin', async () => {
		// Only two admins exist: the other one is the last active admin for whichever request runs second.
		const others = (await admin.client.admin.users.list.query()).filter(
			(u) => u.role === 'admin' && u.id !== adminId
		);
		for (const o of others) await admin.client.admin.users.delete.mutate({ id: o.id });
		const rival = await createAndSignIn(server.url, admin.client, 'rival-admin', 'admin');
		const results = await Promise.allSettled([
			admin.client.admin.users.update.mutate({ id: rival.id, disabled: true }),
			rival.client.admin.users.update.mutate({ id: adminId, disabled: true })
		]);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
		const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
		// Refused by the in-transaction guard, or — if the other request committed first — because
		// the caller was disabled and signed out a moment before.
		expect(['CONFLICT', 'UNAUTHORIZED']).toContain(await errorCode(Promise.reject(failed.reason)));

		const survivor: Client = results[0].status === 'fulfilled' ? admin.client : rival.client;
		const active = (await survivor.admin.users.list.query()).filter(
			(u) => u.role === 'admin' && !u.disabled
		);
		expect(active).toHaveLength(1);

		// Put things back: the original admin active and signed in, the rival gone.
		if (survivor === rival.client) {
			await rival.client.admin.users.update.mutate({ id: adminId, disabled: false });
			admin = await signInAdmin(server.url);
		}
		await admin.client.admin.users.delete.mutate({ id: rival.id });
		expect(
			(await admin.client.admin.users.list.query())
				.filter((u) => u.role === 'admin')
				.map((u) => u.id)
		).toEqual([adminId]);
	});
});

describe('devices', () => {
	it("lists every user's sessions with device and IP, and revokes one or all of a user's", async () => {
		const phoneUa =
			'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
		const user = await createAndSignIn(server.url, admin.client, 'two-devices');
		const phone = await trpc(server.url, { headers: { 'user-agent': phoneUa } }).auth.login.mutate({
			username: 'two-devices',
			password: user.password,
			refreshTokenInBody: true
		});
		const sessions = await admin.client.admin.sessions.list.query({ userId: user.id });
		expect(sessions).toHaveLength(2);
		const phoneRow = sessions.find((s) => s.id === phone.session.id)!;
		expect(phoneRow).toMatchObject({
			user: { id: user.id, username: 'two-devices' },
			ip: '127.0.0.1',
			current: false
		});
		expect(phoneRow.device).toMatch(/iPhone|Safari/);
		expect(phoneRow.createdAt).toBeInstanceOf(Date);
		expect(phoneRow.lastUsedAt).toBeInstanceOf(Date);
		expect(
			(await admin.client.admin.sessions.list.query()).some(
				(s) => s.current && s.user.id === adminId
			)
		).toBe(true);

		await admin.client.admin.sessions.revoke.mutate({ id: phone.session.id });
		expect(await errorCode(trpc(server.url, { token: phone.accessToken }).auth.me.query())).toBe(
			'UNAUTHORIZED'
		);
		expect(
			await errorCode(trpc(server.url).auth.refresh.mutate({ refreshToken: phone.refreshToken! }))
		).toBe('UNAUTHORIZED');
		expect((await user.client.auth.me.query()).id).toBe(user.id);
		expect(
			await errorCode(admin.client.admin.sessions.revoke.mutate({ id: phone.session.id }))
		).toBe('NOT_FOUND');

		expect(await admin.client.admin.sessions.revokeAll.mutate({ userId: user.id })).toEqual({
			ok: true,
			revoked: 1
		});
		expect(await errorCode(user.client.auth.me.query())).toBe('UNAUTHORIZED');
		expect(await admin.client.admin.sessions.list.query({ userId: user.id })).toEqual([]);
	});
});

describe('radio systems', () => {
	const CSV = [
		'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category,Priority',
		'101,065,FD Disp,D,"Fire Dispatch, County",Fire Dispatch,Fire,1',
		'102,066,"FD ""Tac"" 2",DE,Fire Tactical 2,Fire-Tac,Fire,',
		'201,0c9,PD Main,T,Police Main,Law Dispatch,Police,2',
		''
	].join('\n');

	it('imports a Trunk-Recorder talkgroup CSV and exports the same file', async () => {
		const { id } = await admin.client.admin.systems.create.mutate({
			systemRef: 4401,
			label: 'County'
		});
		expect(
			await admin.client.admin.talkgroups.importCsv.mutate({ systemId: id, csv: CSV })
		).toEqual({ created: 3, updated: 0, unchanged: 0, ignoredColumns: [] });
		expect(await admin.client.admin.talkgroups.exportCsv.query({ systemId: id })).toEqual({
			filename: 'talkgroups-4401.csv',
			csv: CSV
		});

		const system = (await admin.client.admin.systems.list.query()).find((s) => s.id === id)!;
		expect(system.talkgroups.map((t) => [t.talkgroupRef, t.label, t.name, t.group, t.tag])).toEqual(
			[
				[101, 'FD Disp', 'Fire Dispatch, County', 'Fire', 'Fire Dispatch'],
				[102, 'FD "Tac" 2', 'Fire Tactical 2', 'Fire', 'Fire-Tac'],
				[201, 'PD Main', 'Police Main', 'Police', 'Law Dispatch']
			]
		);

		// Edits show up in the next export.
		await admin.client.admin.talkgroups.update.mutate({
			id: system.talkgroups[2].id,
			label: 'PD, Main'
		});
		const edited = await admin.client.admin.talkgroups.exportCsv.query({ systemId: id });
		expect(edited.csv).toBe(CSV.replace('201,0c9,PD Main,', '201,0c9,"PD, Main",'));

		const bad = await refusal(
			admin.client.admin.talkgroups.importCsv.mutate({
				systemId: id,
				csv: 'Decimal,Alpha Tag\n300,Ok\nnope,Bad\n'
			})
		);
		expect(bad).toMatchObject({
			code: 'BAD_REQUEST',
			message: 'csv: line 3: Decimal "nope" is not a talkgroup number'
		});
		expect(
			(await admin.client.admin.systems.list.query()).find((s) => s.id === id)!.talkgroups
		).toHaveLength(3);
	});

	it('grants by database id, refusing ids that do not exist', async () => {
		const { id: systemId } = await admin.client.admin.systems.create.mutate({
			systemRef: 4402,
			label: 'Fire only'
		});
		await admin.client.admin.talkgroups.importCsv.mutate({
			systemId,
			csv: '1001,3e9,D,FD A,Fire A,Fire,Fire\n1002,3ea,D,FD B,Fire B,Fire,Fire\n'
		});
		const tgs = (await admin.client.admin.systems.list.query()).find(
			(s) => s.id === systemId
		)!.talkgroups;
		const { id } = await admin.client.admin.users.create.mutate({
			username: 'fire-listener',
			password: 'fire-password-1',
			role: 'listener',
			access: { systems: [], talkgroups: tgs.map((t) => t.id) }
		});
		const listed = (await admin.client.admin.users.list.query()).find((u) => u.id === id)!;
		expect(listed).toMatchObject({
			accessAll: false,
			access: { systems: [], talkgroups: tgs.map((t) => t.id) }
		});
		const bad = await refusal(
			admin.client.admin.users.setAccess.mutate({ id, accessAll: false, systems: [987654] })
		);
		expect(bad).toMatchObject({
			code: 'BAD_REQUEST',
			message: 'access.systems: no system with id 987654'
		});
	});
});

describe('settings', () => {
	it('validation errors name the field, and unknown keys are refused', async () => {
		const bad = await refusal(admin.client.admin.settings.update.mutate({ retentionDays: -3 }));
		expect(bad.code).toBe('BAD_REQUEST');
		expect(bad.message).toMatch(/^retentionDays: /);
		expect(bad.fields).toEqual(['retentionDays']);
		const two = await refusal(
			admin.client.admin.settings.update.mutate({ maxSessions: 0, duplicateWindowMs: 999_999 })
		);
		expect(two.fields?.sort()).toEqual(['duplicateWindowMs', 'maxSessions']);
		const unknown = await refusal(
			admin.client.admin.settings.update.mutate({ colour: 'red' } as never)
		);
		expect(unknown.code).toBe('BAD_REQUEST');
		expect(unknown.message).toMatch(/colour/);
		expect((await admin.client.admin.settings.get.query()).retentionDays).toBe(0);
	});

	it('the session cap takes effect at the next sign-in', async () => {
		const user = await createAndSignIn(server.url, admin.client, 'capped');
		const second = await trpc(server.url).auth.login.mutate({
			username: 'capped',
			password: user.password
		});
		expect((await admin.client.admin.settings.update.mutate({ maxSessions: 2 })).maxSessions).toBe(
			2
		);
		try {
			const third = await trpc(server.url).auth.login.mutate({
				username: 'capped',
				password: user.password
			});
			// The least recently used device (the first) made room.
			expect(await errorCode(user.client.auth.me.query())).toBe('UNAUTHORIZED');
			expect((await trpc(server.url, { token: second.accessToken }).auth.me.query()).username).toBe(
				'capped'
			);
			expect((await trpc(server.url, { token: third.accessToken }).auth.me.query()).username).toBe(
				'capped'
			);
		} finally {
			await admin.client.admin.settings.update.mutate({ maxSessions: null });
		}
	});
});

describe('dashboard', () => {
	it('reports counts, listeners, uptime, storage and a 24-hour chart', async () => {
		const d = await admin.client.admin.stats.dashboard.query();
		expect(d.calls).toEqual({ today: 0, thisWeek: 0, total: 0 });
		expect(d.activeListeners).toBe(0);
		expect(d.uptimeSec).toBeGreaterThanOrEqual(0);
		expect(d.startedAt).toBeInstanceOf(Date);
		expect(d.storage.databaseBytes).toBeGreaterThan(0);
		expect(d.activity.hours).toHaveLength(24);
		expect(d.todayStartsAt.toISOString()).toMatch(/T00:00:00\.000Z$/);
	});
});

import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { refreshingDevice, signInAdmin, trpc } from '../helpers/client';
import { followCalls, storedCallIds, uploadCountyCall } from '../helpers/live-calls';
import { liveClient, until } from '../helpers/live-server';

// live.calls end to end: recorders upload to the production server (POST /api/call-upload), the
// server publishes, listeners follow over real WebSockets with the real @trpc/client.

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];

const follow = (client: ReturnType<typeof liveClient>['client']) =>
	followCalls(client, (fn) => cleanups.push(fn));
const storedIds = storedCallIds;
const upload = (s: TestServer, key: string) => uploadCountyCall(s.url, key);
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;

async function setUp(env: Record<string, string> = {}) {
	server = await startServer({ env });
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	await admin.client.admin.users.create.mutate({
		username: 'lena',
		password: 'lena-password-1',
		role: 'listener'
	});
	const auth = await trpc(server.url).auth.login.mutate({
		username: 'lena',
		password: 'lena-password-1',
		refreshTokenInBody: true
	});
	return { admin, key, listener: refreshingDevice(server.url, auth) };
}

describe('live calls from real uploads', () => {
	it(
		'with SQUELCH_ACCESS_TTL=5 and an upload every 100 ms for 30 s, a listener gets every call once, in order',
		{ timeout: 120_000 },
		async () => {
			const { key, listener } = await setUp({ SQUELCH_ACCESS_TTL: '5' });
			const live = liveClient(wsUrl(server!), { token: () => listener.token(2_500) });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await until(() => seen.started, 'subscribed');

			let uploaded = 0;
			const end = Date.now() + 30_000;
			while (Date.now() < end) {
				const reply = await upload(server!, key);
				expect(reply.status, reply.body).toBe(200);
				uploaded++;
				await new Promise((r) => setTimeout(r, 100));
			}
			await until(
				() => seen.ids.length >= uploaded,
				`all ${uploaded} calls (got ${seen.ids.length})`,
				20_000
			);
			// The admin's five-second token is long gone: sign in again to read the archive.
			const stored = await storedIds((await signInAdmin(server!.url)).client);
			expect(stored).toHaveLength(uploaded);
			expect(seen.ids).toEqual(stored);
			expect(live.opens).toBeGreaterThanOrEqual(6);
			expect(live.closes.filter((c) => c.code === 4001)).toEqual([]);
			expect(seen.errors).toEqual([]);
		}
	);

	it(
		'a server restart mid-stream: the listener comes back and nothing is lost',
		{ timeout: 120_000 },
		async () => {
			const { admin, key, listener } = await setUp();
			const live = liveClient(wsUrl(server!), { token: () => listener.token(1_000) });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await until(() => seen.started, 'subscribed');

			for (let i = 0; i < 10; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(() => seen.ids.length === 10, 'calls before the restart');
			await server!.restart();
			// Uploaded at once, before the listener's socket is back: only the replay delivers these.
			for (let i = 0; i < 10; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(
				() => seen.ids.length === 20,
				`calls after the restart (got ${seen.ids.length})`,
				20_000
			);
			for (let i = 0; i < 5; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(() => seen.ids.length === 25, 'live again');
			expect(seen.ids).toEqual(await storedIds(admin.client));
			expect(live.closes.map((c) => c.code)).toContain(1012);
		}
	);

	it('revoking one device closes its socket 4003 within a second; the other device keeps receiving uploads', async () => {
		const { key, listener } = await setUp();
		const other = refreshingDevice(
			server!.url,
			await trpc(server!.url).auth.login.mutate({
				username: 'lena',
				password: 'lena-password-1',
				refreshTokenInBody: true
			})
		);
		const phone = liveClient(wsUrl(server!), { token: () => listener.token() });
		const desktop = liveClient(wsUrl(server!), { token: () => other.token() });
		cleanups.push(
			() => phone.close(),
			() => desktop.close()
		);
		const onPhone = follow(phone.client);
		const onDesktop = follow(desktop.client);
		await until(() => onPhone.started && onDesktop.started, 'both subscribed');
		expect((await upload(server!, key)).status).toBe(200);
		await until(
			() => onPhone.ids.length === 1 && onDesktop.ids.length === 1,
			'both got the first call'
		);

		// The phone is signed out from the desktop.
		const phoneSession = (
			await trpc(server!.url, { token: listener.accessToken }).sessions.list.query()
		).find((s) => s.current)!.id;
		await trpc(server!.url, { token: other.accessToken }).sessions.revoke.mutate({
			id: phoneSession
		});
		await until(() => phone.closes.length > 0, 'phone socket closed', 1_000);
		expect(phone.closes[0]).toEqual({ code: 4003, reason: 'session revoked: logout' });

		for (let i = 0; i < 3; i++) expect((await upload(server!, key)).status).toBe(200);
		await until(() => onDesktop.ids.length === 4, 'desktop keeps receiving');
		await until(() => onPhone.errors.length > 0, 'phone refused');
		expect(onPhone.errors).toEqual(['UNAUTHORIZED']);
		expect(onPhone.ids).toHaveLength(1);
		expect(desktop.closes).toEqual([]);
	});
});

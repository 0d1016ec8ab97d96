import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server';
import { createAndSignIn, refreshingDevice, signInAdmin, trpc } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';

// The realtime layer through the production server (`npm start`): real logins over HTTP, the
// WebSocket at /api/ws, events the server itself produces.

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;

function watchEvents(
	client: ReturnType<typeof liveClient>['client'],
	input: { lastEventId?: string } = {}
) {
	const state = {
		events: [] as Array<{ id: string; type: string; [k: string]: unknown }>,
		started: false,
		errors: [] as string[]
	};
	const sub = client.admin.events.subscribe(input, {
		onStarted: () => (state.started = true),
		onData: (e) => state.events.push({ ...e.data, id: e.id }),
		onError: (err) => state.errors.push(err.data?.code ?? err.message)
	});
	cleanups.push(() => sub.unsubscribe());
	return state;
}

describe('realtime on the production server', () => {
	it('streams admin events the server produces, resuming after a restart with nothing lost', async () => {
		server = await startServer();
		const admin = await signInAdmin(server.url);
		const me = refreshingDevice(server.url, admin.auth);
		const live = liveClient(wsUrl(server), { token: () => me.token(1_000) });
		cleanups.push(() => live.close());
		const seen = watchEvents(live.client);
		await until(() => seen.started, 'subscribed');

		await admin.client.admin.users.create.mutate({
			username: 'erin',
			password: 'erin-password-1',
			role: 'listener'
		});
		await until(
			() => seen.events.some((e) => e.type === 'user.created' && e.username === 'erin'),
			'user.created live'
		);

		await server.restart();
		// Sign-ins while the client is still reconnecting: only the replay can deliver these.
		const sessions: string[] = [];
		for (let i = 0; i < 3; i++)
			sessions.push(
				(
					await trpc(server.url).auth.login.mutate({
						username: 'erin',
						password: 'erin-password-1'
					})
				).session.id
			);
		const createdFor = (id: string) =>
			seen.events.filter((e) => e.type === 'session.created' && e.sessionId === id).length;
		await until(
			() => sessions.every((id) => createdFor(id) === 1),
			'replayed after restart',
			20_000
		);
		const ids = seen.events.map((e) => Number(e.id));
		expect(ids).toEqual([...ids].sort((a, b) => a - b));
		expect(new Set(ids).size).toBe(ids.length);
		expect(live.closes.map((c) => c.code)).toContain(1012);
	});

	it(
		'with SQUELCH_ACCESS_TTL=5, an admin stream stays up across expiries and misses nothing',
		{ timeout: 90_000 },
		async () => {
			server = await startServer({ env: { SQUELCH_ACCESS_TTL: '5' } });
			const admin = await signInAdmin(server.url);
			await admin.client.admin.users.create.mutate({
				username: 'finn',
				password: 'finn-password-1',
				role: 'listener'
			});
			const me = refreshingDevice(server.url, admin.auth);
			const live = liveClient(wsUrl(server), { token: () => me.token(2_500) });
			cleanups.push(() => live.close());
			const seen = watchEvents(live.client);
			await until(() => seen.started, 'subscribed');

			// One sign-in (one session.created event) every 250 ms for 15 s: three token lifetimes.
			const sessions: string[] = [];
			const end = Date.now() + 15_000;
			while (Date.now() < end) {
				sessions.push(
					(
						await trpc(server.url).auth.login.mutate({
							username: 'finn',
							password: 'finn-password-1'
						})
					).session.id
				);
				await new Promise((r) => setTimeout(r, 250));
			}
			const created = () =>
				seen.events.filter(
					(e) => e.type === 'session.created' && sessions.includes(e.sessionId as string)
				);
			await until(() => created().length >= sessions.length, 'all sign-ins seen', 15_000);
			expect(created().map((e) => e.sessionId)).toEqual(sessions);
			const ids = seen.events.map((e) => Number(e.id));
			expect(new Set(ids).size).toBe(ids.length);
			expect(ids).toEqual([...ids].sort((a, b) => a - b));
			expect(live.opens).toBeGreaterThanOrEqual(3);
			expect(live.closes.filter((c) => c.code === 4001)).toEqual([]);
			expect(seen.errors).toEqual([]);
		}
	);

	it('signing a device out from another closes its socket 4003 within a second; the other socket stays', async () => {
		server = await startServer();
		const admin = await signInAdmin(server.url);
		const phone = await createAndSignIn(server.url, admin.client, 'gina');
		const desktopAuth = await trpc(server.url).auth.login.mutate({
			username: 'gina',
			password: phone.password,
			refreshTokenInBody: true
		});
		const onPhone = liveClient(wsUrl(server), { token: async () => phone.token });
		const onDesktop = liveClient(wsUrl(server), { token: async () => desktopAuth.accessToken });
		cleanups.push(
			() => onPhone.close(),
			() => onDesktop.close()
		);
		const started = { phone: false, desktop: false };
		const phoneErrors: string[] = [];
		onPhone.client.live.calls.subscribe(
			{},
			{
				onStarted: () => (started.phone = true),
				onError: (e) => phoneErrors.push(e.data?.code ?? '')
			}
		);
		onDesktop.client.live.calls.subscribe({}, { onStarted: () => (started.desktop = true) });
		await until(() => started.phone && started.desktop, 'both subscribed');

		await trpc(server.url, { token: desktopAuth.accessToken }).sessions.revoke.mutate({
			id: phone.auth.session.id
		});
		await until(() => onPhone.closes.length > 0, 'phone closed', 1_000);
		expect(onPhone.closes[0]).toEqual({ code: 4003, reason: 'session revoked: logout' });
		await until(() => phoneErrors.length > 0, 'phone refused on reconnect');
		expect(phoneErrors).toEqual(['UNAUTHORIZED']);
		expect(onDesktop.closes).toEqual([]);
		expect(await onDesktop.client.live.listeners.query()).toEqual({ count: 1 });
	});

	it('a client that ignores the reconnect notice is closed 4001 when its token expires', async () => {
		server = await startServer({ env: { SQUELCH_ACCESS_TTL: '3' } });
		const admin = await signInAdmin(server.url);
		const ws = new WebSocket(`${wsUrl(server)}?connectionParams=1`);
		cleanups.push(() => ws.terminate());
		const messages: string[] = [];
		ws.on('message', (m) => messages.push(m.toString()));
		const closed = new Promise<[number, string]>((resolve) =>
			ws.on('close', (code, reason) => resolve([code, reason.toString()]))
		);
		await new Promise((r) => ws.once('open', r));
		ws.send(JSON.stringify({ method: 'connectionParams', data: { token: admin.token } }));
		ws.send(
			JSON.stringify({
				id: 1,
				method: 'subscription',
				params: { path: 'live.calls', input: { json: {} } }
			})
		);
		expect(await closed).toEqual([4001, 'token expired']);
		expect(messages).toContain('{"id":null,"method":"reconnect"}');
	});

	it('refuses a WebSocket from another origin; a bad token gets UNAUTHORIZED once, with no reconnect storm', async () => {
		server = await startServer();
		const refused = await new Promise<number>((resolve, reject) => {
			const ws = new WebSocket(wsUrl(server!), { origin: 'https://evil.example' });
			ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
			ws.on('open', () => reject(new Error('opened')));
			ws.on('error', () => {});
		});
		expect(refused).toBe(403);

		const bad = liveClient(wsUrl(server), {
			token: async () => 'forged.token.here',
			origin: server.url
		});
		cleanups.push(() => bad.close());
		const errors: string[] = [];
		bad.client.live.calls.subscribe({}, { onError: (e) => errors.push(e.data?.code ?? '') });
		bad.client.admin.events.subscribe({}, { onError: (e) => errors.push(e.data?.code ?? '') });
		await until(() => errors.length === 2, 'both refused');
		expect(errors).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
		await new Promise((r) => setTimeout(r, 1_500));
		expect(bad.opens).toBe(1);
	});
});

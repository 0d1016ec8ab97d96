import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import superjson from 'superjson';
import { revokeSession } from '../../src/lib/server/auth/sessions';
import { updateSettings } from '../../src/lib/server/core/settings';
import { recordEvent } from '../../src/lib/server/core/event-log';
import { insertCall } from '../helpers/calls';
import {
	liveClient,
	signIn,
	startLiveServer,
	until,
	type LiveServer
} from '../helpers/live-server';

let server: LiveServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.close();
	server = undefined;
});

/** Subscribes to live.calls and records what arrives. */
function watchCalls(
	client: ReturnType<typeof liveClient>['client'],
	input: { lastEventId?: string | null } = {}
) {
	const state = {
		ids: [] as number[],
		eventIds: [] as string[],
		started: false,
		errors: [] as Array<{ code?: string; message: string }>
	};
	const sub = client.live.calls.subscribe(input, {
		onStarted: () => (state.started = true),
		onData: (e) => {
			state.ids.push(e.data.id);
			state.eventIds.push(e.id);
		},
		onError: (err) => state.errors.push({ code: err.data?.code, message: err.message })
	});
	cleanups.push(() => sub.unsubscribe());
	return state;
}

function track<T extends { close(): Promise<void> }>(c: T): T {
	cleanups.push(() => c.close());
	return c;
}

describe('live.calls over the WebSocket', () => {
	it('delivers each new call once, tracked by its id, as the Call shape', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const { client } = track(liveClient(server.wsUrl, { token: () => device.token() }));
		let first: unknown;
		const seen = watchCalls(client);
		client.live.calls.subscribe({}, { onData: (e) => (first ??= e.data) });
		await until(() => seen.started, 'subscription started');
		const a = await server.publishCall({ systemRef: 7, talkgroupRef: 4001 });
		const b = await server.publishCall();
		await until(() => seen.ids.length === 2, 'two calls');
		expect(seen.ids).toEqual([a, b]);
		expect(seen.eventIds).toEqual([String(a), String(b)]);
		expect(first).toMatchObject({
			id: a,
			dateTime: expect.any(Date),
			system: { id: 7, label: 'System 7' },
			talkgroup: { id: 4001, label: 'TG 4001' },
			audioUrl: `/api/calls/${a}/audio`
		});
	});

	it('with SQUELCH_ACCESS_TTL=5 and a call every 100 ms for 30 s, receives every call once, in order, across all expiries', async () => {
		server = await startLiveServer({ env: { SQUELCH_ACCESS_TTL: '5' } });
		const device = await signIn(server, 'alice');
		// Like the browser: connectionParams hands out a token, refreshing one that is about to expire.
		const live = track(liveClient(server.wsUrl, { token: () => device.token(2_500) }));
		const seen = watchCalls(live.client);
		await until(() => seen.started, 'subscription started');

		const published: number[] = [];
		const end = Date.now() + 30_000;
		while (Date.now() < end) {
			published.push(await server.publishCall());
			await new Promise((r) => setTimeout(r, 100));
		}
		await until(
			() => seen.ids.length >= published.length,
			`all ${published.length} calls (got ${seen.ids.length})`,
			15_000
		);
		expect(seen.ids).toEqual(published);
		// Six token lifetimes went by: the server asked for fresh sockets and the client complied.
		expect(live.opens).toBeGreaterThanOrEqual(6);
		expect(live.closes.filter((c) => c.code === 4001)).toEqual([]);
		expect(seen.errors).toEqual([]);
	}, 60_000);

	it('comes back after a server restart and resumes with nothing lost', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client);
		await until(() => seen.started, 'subscription started');

		const published: number[] = [];
		for (let i = 0; i < 10; i++) published.push(await server.publishCall());
		await until(() => seen.ids.length === 10, 'calls before the restart');
		await server.restart();
		// Published before the client has reconnected: only the replay can deliver these.
		for (let i = 0; i < 10; i++) published.push(await server.publishCall());
		await until(() => seen.ids.length === 20, `calls after the restart (got ${seen.ids.length})`);
		for (let i = 0; i < 5; i++) published.push(await server.publishCall());
		await until(() => seen.ids.length === 25, 'live calls after the restart');
		expect(seen.ids).toEqual(published);
		expect(live.closes.map((c) => c.code)).toContain(1012);
		expect(seen.errors).toEqual([]);
	});

	it('revoking a session closes its socket 4003 with the reason within a second; the other device is untouched', async () => {
		server = await startLiveServer();
		const phone = await signIn(server, 'alice');
		const desktop = await signIn(server, 'alice', 'listener', phone.userId);
		const onPhone = track(liveClient(server.wsUrl, { token: () => phone.token() }));
		const onDesktop = track(liveClient(server.wsUrl, { token: () => desktop.token() }));
		const phoneCalls = watchCalls(onPhone.client);
		const desktopCalls = watchCalls(onDesktop.client);
		await until(() => phoneCalls.started && desktopCalls.started, 'both subscribed');

		await revokeSession(server.svc, phone.sessionId, 'admin');
		await until(() => onPhone.closes.length > 0, 'phone socket closed', 1_000);
		expect(onPhone.closes[0]).toEqual({ code: 4003, reason: 'session revoked: admin' });
		// Its token is dead: the reconnect is refused once, with no storm of retries.
		await until(() => phoneCalls.errors.length > 0, 'phone subscription refused');
		expect(phoneCalls.errors[0].code).toBe('UNAUTHORIZED');

		const id = await server.publishCall();
		await until(() => desktopCalls.ids.length === 1, 'desktop still receives');
		expect(desktopCalls.ids).toEqual([id]);
		expect(onDesktop.closes).toEqual([]);
		expect(onDesktop.opens).toBe(1);
		expect(phoneCalls.ids).toEqual([]);
	});

	it('cuts off a client that stops reading (1013) while another keeps receiving; the slow one catches up with nothing lost', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const sockets: WebSocket[] = [];
		class RecordedSocket extends WebSocket {
			constructor(address: string | URL, protocols?: string | string[]) {
				super(address, protocols);
				sockets.push(this);
			}
		}
		const slow = track(
			liveClient(server.wsUrl, {
				token: () => device.token(),
				WebSocket: RecordedSocket as typeof WebSocket
			})
		);
		const fast = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const slowCalls = watchCalls(slow.client);
		const fastCalls = watchCalls(fast.client);
		await until(() => slowCalls.started && fastCalls.started, 'both subscribed');

		sockets[0].pause(); // stops reading: the kernel's buffers fill, then the server's send buffer
		const published: number[] = [];
		// Until the server cuts the slow one off (however much the kernel buffers), then a few more.
		while (server.wsStats().slowConsumersClosed === 0 && published.length < 5_000) {
			published.push(await server.publishCall({ padBytes: 20_000 }));
			// The fast client gets each call before the next is sent: had the server waited for
			// the slow one at any point, this would stall.
			await until(
				() => fastCalls.ids.length === published.length,
				`fast client got call ${published.length}`
			);
		}
		expect(server.wsStats().slowConsumersClosed).toBe(1);
		for (let i = 0; i < 5; i++) published.push(await server.publishCall({ padBytes: 20_000 }));
		await until(
			() => fastCalls.ids.length === published.length,
			'fast client got the calls after the cut'
		);
		expect(slowCalls.ids.length).toBeLessThan(published.length);
		sockets[0].resume();
		await until(() => slow.closes.length > 0, 'slow client saw its close');
		expect(slow.closes[0]).toEqual({ code: 1013, reason: 'slow consumer' });
		await until(
			() => slowCalls.ids.length === published.length,
			`slow client caught up (got ${slowCalls.ids.length})`
		);
		expect(slowCalls.ids).toEqual(published);
		expect(fastCalls.ids).toEqual(published);
		expect(fast.closes).toEqual([]);
	}, 120_000);
});

describe('live.calls frames on the wire', () => {
	type Frame = {
		id?: unknown;
		jsonrpc?: string;
		result?: { type: string; id?: string; data?: unknown };
	};

	it('each subscription gets started first, then its own tracked frames, then stopped; a spoofed id changes nothing', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const raw = await rawSocket(server.wsUrl, { token: await device.token() });
		const frames = raw.messages as Frame[];
		// Two subscriptions on one socket; the second asks (in vain) for frames aimed at the first.
		raw.ws.send(
			JSON.stringify({
				id: 7,
				jsonrpc: '2.0',
				method: 'subscription',
				params: { path: 'live.calls', input: superjson.serialize({}) }
			})
		);
		raw.ws.send(
			JSON.stringify({
				id: 'b',
				method: 'subscription',
				params: { path: 'live.calls', input: { json: { $rpc: { id: 7 } } } }
			})
		);
		const started = (id: unknown) =>
			frames.some((f) => f.id === id && f.result?.type === 'started');
		await until(() => started(7) && started('b'), 'both started');
		const a = await server.publishCall();
		const dataFor = (id: unknown) => frames.filter((f) => f.id === id && f.result?.type === 'data');
		await until(() => dataFor(7).length === 1 && dataFor('b').length === 1, 'one frame each');
		for (const id of [7, 'b']) {
			const own = frames.filter((f) => f.id === id).map((f) => f.result?.type);
			expect(own).toEqual(['started', 'data']);
			const [frame] = dataFor(id);
			expect(frame.result?.id).toBe(String(a));
			expect(superjson.deserialize(frame.result?.data as never)).toMatchObject({
				id: String(a),
				data: { id: a, dateTime: expect.any(Date) }
			});
		}
		expect(dataFor(7)[0].jsonrpc).toBe('2.0');
		expect(dataFor('b')[0]).not.toHaveProperty('jsonrpc');

		// Stopping one leaves the other running.
		raw.ws.send(JSON.stringify({ id: 'b', method: 'subscription.stop' }));
		await until(
			() => frames.some((f) => f.id === 'b' && f.result?.type === 'stopped'),
			'b stopped'
		);
		const b = await server.publishCall();
		await until(() => dataFor(7).length === 2, 'second call on 7');
		expect(dataFor(7)[1].result?.id).toBe(String(b));
		expect(dataFor('b')).toHaveLength(1);
		expect(server.svc.presence.count()).toBe(1);
	});
});

/** A bare socket speaking tRPC's wire protocol, that does only what the test says. */
async function rawSocket(url: string, opts: { origin?: string; token?: string } = {}) {
	const ws = new WebSocket(
		opts.token !== undefined ? `${url}?connectionParams=1` : url,
		opts.origin ? { origin: opts.origin } : {}
	);
	const messages: unknown[] = [];
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
	);
	ws.on('message', (data) => {
		const text = data.toString();
		messages.push(text === 'PING' || text === 'PONG' ? text : JSON.parse(text));
	});
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
		ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
	});
	if (opts.token !== undefined)
		ws.send(JSON.stringify({ method: 'connectionParams', data: { token: opts.token } }));
	const subscribe = (id: number, path: string, input: unknown = {}) =>
		ws.send(
			JSON.stringify({
				id,
				method: 'subscription',
				params: { path, input: superjson.serialize(input) }
			})
		);
	cleanups.push(() => ws.terminate());
	return { ws, messages, closed, subscribe };
}

describe('socket lifetime', () => {
	it('sends the reconnect notice before the token expires, and closes 4001 a client that ignores it', async () => {
		server = await startLiveServer({ env: { SQUELCH_ACCESS_TTL: '3' } });
		const device = await signIn(server, 'alice');
		const raw = await rawSocket(server.wsUrl, { token: device.accessToken });
		raw.subscribe(1, 'live.calls');
		const closed = await raw.closed;
		expect(closed).toEqual({ code: 4001, reason: 'token expired' });
		expect(Date.now()).toBeGreaterThanOrEqual(device.expiresAt);
		const notice = raw.messages.findIndex(
			(m) => JSON.stringify(m) === '{"id":null,"method":"reconnect"}'
		);
		expect(notice).toBeGreaterThanOrEqual(0);
	});

	it('on shutdown sends every socket the reconnect notice, then closes it 1012', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const raw = await rawSocket(server.wsUrl, { token: device.accessToken });
		raw.subscribe(1, 'live.calls');
		await until(
			() =>
				raw.messages.some((m) => (m as { result?: { type?: string } }).result?.type === 'started'),
			'started'
		);
		await server.restart();
		expect(await raw.closed).toEqual({ code: 1012, reason: 'server restarting' });
		expect(raw.messages.at(-1)).toEqual({ id: null, method: 'reconnect' });
	});

	it('refuses an upgrade whose Origin is another site; accepts its own and none', async () => {
		server = await startLiveServer();
		await expect(rawSocket(server.wsUrl, { origin: 'http://evil.example' })).rejects.toThrow(
			'HTTP 403'
		);
		await expect(
			rawSocket(server.wsUrl, { origin: `http://127.0.0.1:${server.port}` })
		).resolves.toBeTruthy();
		await expect(rawSocket(server.wsUrl)).resolves.toBeTruthy();
	});

	it('with ORIGIN set, accepts only that origin', async () => {
		server = await startLiveServer({ env: { ORIGIN: 'https://scanner.example.org' } });
		await expect(
			rawSocket(server.wsUrl, { origin: `http://127.0.0.1:${server.port}` })
		).rejects.toThrow('HTTP 403');
		await expect(
			rawSocket(server.wsUrl, { origin: 'https://scanner.example.org' })
		).resolves.toBeTruthy();
	});

	it('refuses messages over the size bound', async () => {
		server = await startLiveServer({ ws: { maxPayloadBytes: 4096 } });
		const raw = await rawSocket(server.wsUrl);
		raw.ws.send('x'.repeat(5000));
		expect((await raw.closed).code).toBe(1009);
	});
});

describe('authentication on the socket', () => {
	it('answers UNAUTHORIZED on live.calls for a bad or missing token, without a reconnect storm', async () => {
		server = await startLiveServer();
		const bad = track(liveClient(server.wsUrl, { token: async () => 'not-a-token' }));
		const none = track(liveClient(server.wsUrl));
		const badCalls = watchCalls(bad.client);
		const noneCalls = watchCalls(none.client);
		await until(() => badCalls.errors.length > 0 && noneCalls.errors.length > 0, 'both refused');
		expect(badCalls.errors).toEqual([{ code: 'UNAUTHORIZED', message: 'sign in required' }]);
		expect(noneCalls.errors).toEqual([{ code: 'UNAUTHORIZED', message: 'sign in required' }]);
		await server.publishCall();
		await new Promise((r) => setTimeout(r, 1_000));
		expect([bad.opens, none.opens]).toEqual([1, 1]);
		expect([bad.closes, none.closes]).toEqual([[], []]);
		expect(badCalls.ids).toEqual([]);
	});

	it('lets anonymous sockets listen when public listening is on', async () => {
		server = await startLiveServer();
		await updateSettings(server.svc, { publicListening: true });
		const anon = track(liveClient(server.wsUrl));
		const seen = watchCalls(anon.client);
		await until(() => seen.started, 'started');
		const id = await server.publishCall();
		await until(() => seen.ids.length === 1, 'call');
		expect(seen.ids).toEqual([id]);

		// Turning public listening off cuts anonymous listeners off (they reconnect and are refused).
		await updateSettings(server.svc, { publicListening: false });
		await until(() => seen.errors.length > 0, 'anonymous listener refused');
		expect(seen.errors[0].code).toBe('UNAUTHORIZED');
		await server.publishCall();
		await new Promise((r) => setTimeout(r, 200));
		expect(seen.ids).toEqual([id]);
	});

	it('delivers, live and on replay, only the calls a restricted listener may hear', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'bob');
		const allowed = await server.publishCall({ talkgroupRef: 1 }); // creates talkgroup 1
		await server.publishCall({ talkgroupRef: 2 });
		const tg = await server.svc.db
			.selectFrom('talkgroups')
			.select(['id', 'system_id'])
			.where('talkgroup_ref', '=', 1)
			.executeTakeFirstOrThrow();
		await server.svc.db
			.updateTable('users')
			.set({ access_all: 0 })
			.where('id', '=', device.userId)
			.execute();
		await server.svc.db
			.insertInto('user_access')
			.values({ user_id: device.userId, system_id: tg.system_id, talkgroup_id: tg.id })
			.execute();

		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client, { lastEventId: String(allowed - 1) });
		await until(() => seen.started, 'started');
		await server.publishCall({ talkgroupRef: 2 });
		const allowedLive = await server.publishCall({ talkgroupRef: 1 });
		await until(() => seen.ids.length === 2, 'two allowed calls');
		await server.publishCall({ talkgroupRef: 2 });
		const last = await server.publishCall({ talkgroupRef: 1 });
		await until(() => seen.ids.length === 3, 'third allowed call');
		expect(seen.ids).toEqual([allowed, allowedLive, last]);
	});
});

describe('replay', () => {
	it('resumes after lastEventId with the missed calls, then live, without duplicates', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const before: number[] = [];
		for (let i = 0; i < 5; i++) before.push(await server.publishCall());
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client, { lastEventId: String(before[1]) });
		await until(() => seen.ids.length === 3, 'replayed');
		const after = await server.publishCall();
		await until(() => seen.ids.length === 4, 'live');
		expect(seen.ids).toEqual([...before.slice(2), after]);
	});

	it('without lastEventId starts with new calls only', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		await server.publishCall();
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client);
		await until(() => seen.started, 'started');
		const id = await server.publishCall();
		await until(() => seen.ids.length === 1, 'live');
		expect(seen.ids).toEqual([id]);
	});

	it('replays at most the newest 500 missed calls', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const first = await insertCall(server.svc.db);
		const ids: number[] = [];
		for (let i = 0; i < 520; i++) ids.push(await insertCall(server.svc.db));
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client, { lastEventId: String(first) });
		await until(() => seen.ids.length === 500, 'replayed');
		const next = await server.publishCall();
		await until(() => seen.ids.length === 501, 'live');
		expect(seen.ids).toEqual([...ids.slice(20), next]);
	});

	it('treats a lastEventId from another history (ahead of the table) as a fresh start', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		await server.publishCall();
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client, { lastEventId: '999' });
		await until(() => seen.started, 'started');
		const id = await server.publishCall();
		await until(() => seen.ids.length === 1, 'new call delivered, not skipped');
		expect(seen.ids).toEqual([id]);
	});

	it('rejects a malformed lastEventId naming the field', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const seen = watchCalls(live.client, { lastEventId: 'abc' });
		await until(() => seen.errors.length > 0, 'refused');
		expect(seen.errors[0].code).toBe('BAD_REQUEST');
		expect(seen.errors[0].message).toMatch(/^lastEventId: /);
	});
});

describe('admin.events', () => {
	it('streams the event log to admins: recent backlog, then live, resumable by id', async () => {
		server = await startLiveServer();
		const admin = await signIn(server, 'root', 'admin');
		const other = await signIn(server, 'carol');
		const live = track(liveClient(server.wsUrl, { token: () => admin.token() }));
		const events: Array<{ id: string; type: string; at: unknown; reason?: unknown }> = [];
		const sub = live.client.admin.events.subscribe(
			{},
			{ onData: (e) => events.push({ ...e.data, id: e.id }) }
		);
		cleanups.push(() => sub.unsubscribe());
		await until(() => events.length >= 4, 'backlog');
		expect(events.map((e) => e.type)).toEqual([
			'user.created',
			'session.created',
			'user.created',
			'session.created'
		]);
		expect(events[0].at).toBeInstanceOf(Date);

		await revokeSession(server.svc, other.sessionId, 'password');
		await until(() => events.length === 5, 'live event');
		expect(events[4]).toMatchObject({ type: 'session.revoked', reason: 'password' });

		// Resuming from the second event replays exactly what came after it.
		const resumed: string[] = [];
		const sub2 = live.client.admin.events.subscribe(
			{ lastEventId: events[1].id },
			{ onData: (e) => resumed.push(e.id) }
		);
		cleanups.push(() => sub2.unsubscribe());
		await until(() => resumed.length === 3, 'replayed');
		const id = await recordEvent(server.svc, 'user.updated', { userId: other.userId });
		await until(() => resumed.length === 4, 'live after replay');
		expect(resumed).toEqual([...events.slice(2, 5).map((e) => e.id), String(id)]);
	});

	it('is refused to listeners', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const live = track(liveClient(server.wsUrl, { token: () => device.token() }));
		const errors: string[] = [];
		live.client.admin.events.subscribe({}, { onError: (err) => errors.push(err.data?.code ?? '') });
		await until(() => errors.length > 0, 'refused');
		expect(errors).toEqual(['FORBIDDEN']);
	});
});

describe('presence', () => {
	it('counts listeners per session and logs listeners.changed for admins', async () => {
		server = await startLiveServer();
		const admin = await signIn(server, 'root', 'admin');
		const alice = await signIn(server, 'alice');
		const adminLive = track(liveClient(server.wsUrl, { token: () => admin.token() }));
		const events: Array<{ type: string; count?: unknown }> = [];
		const sub = adminLive.client.admin.events.subscribe({}, { onData: (e) => events.push(e.data) });
		cleanups.push(() => sub.unsubscribe());

		// Two tabs of one session are one listener.
		const tab1 = track(liveClient(server.wsUrl, { token: () => alice.token() }));
		const tab2 = track(liveClient(server.wsUrl, { token: () => alice.token() }));
		const s1 = watchCalls(tab1.client);
		const s2 = watchCalls(tab2.client);
		await until(() => s1.started && s2.started, 'tabs subscribed');
		expect(await tab1.client.live.listeners.query()).toEqual({ count: 1 });

		await until(
			() => events.some((e) => e.type === 'listeners.changed'),
			'listeners.changed logged',
			5_000
		);
		expect(events.filter((e) => e.type === 'listeners.changed')).toEqual([
			expect.objectContaining({ count: 1 })
		]);

		await tab1.close();
		await tab2.close();
		await until(() => server!.svc.presence.count() === 0, 'listener gone');
		await until(
			() => events.filter((e) => e.type === 'listeners.changed').length === 2,
			'second change logged',
			5_000
		);
		expect(events.filter((e) => e.type === 'listeners.changed').at(-1)).toMatchObject({ count: 0 });
	});
});

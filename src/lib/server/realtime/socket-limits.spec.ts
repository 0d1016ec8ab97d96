import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import superjson from 'superjson';
import { updateSettings } from '../core/settings';
import {
	signIn,
	startLiveServer,
	until,
	type LiveServer
} from '../../../../tests/helpers/live-server';

let server: LiveServer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
	for (const ws of sockets.splice(0)) ws.terminate();
	await server?.close();
	server = undefined;
});

type Message = {
	id?: unknown;
	result?: { type?: string };
	error?: { message: string; data?: { code?: string } };
};

/** A bare socket speaking tRPC's wire protocol; `headers` as a proxy would add them. */
async function rawSocket(
	url: string,
	opts: { token?: string; headers?: Record<string, string> } = {}
) {
	const ws = new WebSocket(opts.token !== undefined ? `${url}?connectionParams=1` : url, {
		headers: opts.headers
	});
	sockets.push(ws);
	const messages: Message[] = [];
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
	);
	ws.on('message', (data) => {
		const text = data.toString();
		if (text !== 'PING' && text !== 'PONG') messages.push(JSON.parse(text));
	});
	await new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('error', reject);
		ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
	});
	if (opts.token !== undefined)
		ws.send(JSON.stringify({ method: 'connectionParams', data: { token: opts.token } }));
	const subscription = (id: number) => ({
		id,
		method: 'subscription',
		params: { path: 'live.calls', input: superjson.serialize({}) }
	});
	const started = () => messages.filter((m) => m.result?.type === 'started').map((m) => m.id);
	const errors = () =>
		messages
			.filter((m) => m.error)
			.map((m) => {
				// Error shapes go through the transformer, as data does.
				const e = superjson.deserialize(m.error as never) as Message['error'];
				return [m.id, e?.data?.code, e?.message];
			});
	return { ws, messages, closed, subscription, started, errors };
}

describe('WebSocket limits', () => {
	it('refuses subscriptions past the per-socket limit with TOO_MANY_REQUESTS, and frees a slot when one stops', async () => {
		server = await startLiveServer({ env: { SQUELCH_WS_MAX_SUBSCRIPTIONS: '5' } });
		const device = await signIn(server, 'alice');
		const raw = await rawSocket(server.wsUrl, { token: device.accessToken });
		// One frame each, as an attacker would send thousands.
		for (let id = 1; id <= 8; id++) raw.ws.send(JSON.stringify(raw.subscription(id)));
		await until(() => raw.started().length + raw.errors().length === 8, 'every answer');
		expect(raw.started()).toEqual([1, 2, 3, 4, 5]);
		expect(raw.errors()).toEqual(
			[6, 7, 8].map((id) => [
				id,
				'TOO_MANY_REQUESTS',
				'subscriptions: at most 5 open on one socket'
			])
		);
		raw.ws.send(JSON.stringify({ id: 2, method: 'subscription.stop' }));
		await until(
			() => raw.messages.some((m) => m.id === 2 && m.result?.type === 'stopped'),
			'stopped'
		);
		raw.ws.send(JSON.stringify(raw.subscription(9)));
		await until(() => raw.started().includes(9), 'a freed slot to be used');
		raw.ws.send(JSON.stringify(raw.subscription(10)));
		await until(() => raw.errors().length === 4, 'the next refusal');
		expect(raw.errors()[3]).toEqual([
			10,
			'TOO_MANY_REQUESTS',
			'subscriptions: at most 5 open on one socket'
		]);
	});

	it('refuses a frame batching more messages than the limit, answering each BAD_REQUEST', async () => {
		server = await startLiveServer({ env: { SQUELCH_WS_MAX_SUBSCRIPTIONS: '5' } });
		const device = await signIn(server, 'alice');
		const raw = await rawSocket(server.wsUrl, { token: device.accessToken });
		raw.ws.send(JSON.stringify(Array.from({ length: 50 }, (_, i) => raw.subscription(i + 1))));
		await until(() => raw.errors().length === 50, 'fifty refusals');
		expect(new Set(raw.errors().map(([, code, message]) => `${code} ${message}`))).toEqual(
			new Set([
				'BAD_REQUEST batch: too many messages in one frame (the limit is SQUELCH_WS_MAX_SUBSCRIPTIONS)'
			])
		);
		expect(raw.started()).toEqual([]);
		raw.ws.send(JSON.stringify([raw.subscription(100), raw.subscription(101)]));
		await until(() => raw.started().length === 2, 'a small batch to be served');
	});

	it('answers 429 to the upgrade past the sockets allowed per client address', async () => {
		server = await startLiveServer({
			env: { SQUELCH_WS_MAX_PER_IP: '2', SQUELCH_TRUST_PROXY: '1' }
		});
		const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
		const first = await rawSocket(server.wsUrl, from('198.51.100.7'));
		await rawSocket(server.wsUrl, from('198.51.100.7'));
		await expect(rawSocket(server.wsUrl, from('198.51.100.7'))).rejects.toThrow('HTTP 429');
		await rawSocket(server.wsUrl, from('198.51.100.8')); // another address has its own count
		// Loopback peers (a local proxy without SQUELCH_TRUST_PROXY, benchmarks) are not counted.
		for (let i = 0; i < 3; i++) await rawSocket(server.wsUrl);
		first.ws.close();
		await first.closed;
		await until(() => server!.wsStats().sockets === 5, 'the server to see the close');
		await rawSocket(server.wsUrl, from('198.51.100.7'));
	});

	it('closes 4008 an anonymous socket that holds no subscription, even one that answers pings; signed-in and listening sockets stay', async () => {
		server = await startLiveServer({
			env: { SQUELCH_WS_AUTH_TIMEOUT: '1' },
			ws: { keepAlive: { pingMs: 100, pongWaitMs: 5_000 } }
		});
		const device = await signIn(server, 'alice');
		const signedIn = await rawSocket(server.wsUrl, { token: device.accessToken });
		const silent = await rawSocket(server.wsUrl, { token: 'not-a-token' });
		const noParams = await rawSocket(`${server.wsUrl}?connectionParams=1`);
		await updateSettings(server.svc, { publicListening: true });
		const listening = await rawSocket(server.wsUrl);
		listening.ws.send(JSON.stringify(listening.subscription(1)));
		await until(() => listening.started().length === 1, 'the anonymous listener to start');

		expect(await silent.closed).toEqual({ code: 4008, reason: 'authentication timeout' });
		expect(await noParams.closed).toEqual({ code: 4008, reason: 'authentication timeout' });
		expect(signedIn.ws.readyState).toBe(WebSocket.OPEN);
		expect(listening.ws.readyState).toBe(WebSocket.OPEN);

		// Its only subscription ending leaves the anonymous socket on the same clock.
		listening.ws.send(JSON.stringify({ id: 1, method: 'subscription.stop' }));
		expect(await listening.closed).toEqual({ code: 4008, reason: 'authentication timeout' });
		expect(signedIn.ws.readyState).toBe(WebSocket.OPEN);
	});
});

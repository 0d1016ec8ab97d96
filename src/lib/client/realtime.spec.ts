import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createTRPCClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/root';
import { revokeSession } from '$lib/server/auth/sessions';
import {
	connectionStateStore,
	createRealtimeClient,
	webSocketUrl,
	type ConnectionState
} from './realtime';
import { safeWebSocketClass } from './safe-websocket';
import {
	signIn,
	startLiveServer,
	until,
	type LiveServer
} from '../../../tests/helpers/live-server';

let server: LiveServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.close();
	server = undefined;
});

describe('safeWebSocketClass', () => {
	// A server that holds the handshake until told, so the client stays CONNECTING.
	async function slowServer() {
		const wss = new WebSocketServer({
			port: 0,
			host: '127.0.0.1',
			verifyClient: (_info, done) => void setTimeout(() => done(true), 300)
		});
		await new Promise((r) => wss.once('listening', r));
		const events: string[] = [];
		wss.on('connection', (ws) => {
			events.push('open');
			ws.on('close', (code) => events.push(`close ${code}`));
		});
		cleanups.push(() => new Promise((r) => wss.close(r)));
		return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, events };
	}

	it('close() on a connecting socket waits for open, then closes cleanly', async () => {
		const { url, events } = await slowServer();
		const Safe = safeWebSocketClass(WebSocket as unknown as typeof globalThis.WebSocket);
		const socket = new Safe(url);
		const errors: unknown[] = [];
		socket.addEventListener('error', (e) => errors.push(e));
		socket.close(1000, 'bye');
		expect(socket.readyState).toBe(WebSocket.CONNECTING);
		await until(() => events.includes('close 1000'), 'server saw open then close');
		expect(events).toEqual(['open', 'close 1000']);
		expect(errors).toEqual([]);
	});

	it('(control) a plain socket closed while connecting aborts the handshake with an error', async () => {
		const { url } = await slowServer();
		const socket = new WebSocket(url);
		const errors: string[] = [];
		socket.on('error', (e) => errors.push(e.message));
		socket.close();
		await until(() => errors.length > 0, 'error');
		expect(errors[0]).toMatch(/closed before the connection was established/);
	});
});

describe('createRealtimeClient', () => {
	it('authenticates each socket with a fresh token, reports state, and hands a 4003 reason to onRevoked', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		let tokenCalls = 0;
		const revoked: string[] = [];
		const client = createRealtimeClient({
			url: server.wsUrl,
			WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
			getToken: async () => {
				tokenCalls++;
				return device.token();
			},
			onRevoked: (reason) => revoked.push(reason)
		});
		cleanups.push(() => client.close());
		const states: ConnectionState[] = [];
		const stop = connectionStateStore(client).subscribe((s) => states.push(s));
		cleanups.push(stop);
		expect(states).toEqual(['idle']); // lazy: no socket until something subscribes

		const api = createTRPCClient<AppRouter>({
			links: [wsLink({ client, transformer: superjson })]
		});
		const got: number[] = [];
		const errors: string[] = [];
		let started = false;
		const sub = api.live.calls.subscribe(
			{},
			{
				onStarted: () => (started = true),
				onData: (e) => got.push(e.data.id),
				onError: (e) => errors.push(e.data?.code ?? '')
			}
		);
		cleanups.push(() => sub.unsubscribe());
		await until(() => started, 'started');
		expect(states.at(-1)).toBe('connected');
		expect(tokenCalls).toBe(1);

		await revokeSession(server.svc, device.sessionId, 'cap');
		await until(() => revoked.length > 0, 'onRevoked');
		expect(revoked).toEqual(['cap']);
		await until(() => errors.length > 0, 'subscription refused after revocation');
		expect(errors).toEqual(['UNAUTHORIZED']);
		expect(tokenCalls).toBe(2); // the reconnect asked for a token again
		expect(states).toContain('reconnecting');
	});

	it('opens no socket while no token can be had: reconnecting meanwhile, then live with a token', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		let sockets = 0;
		class CountingSocket extends WebSocket {
			constructor(address: string | URL, protocols?: string | string[]) {
				super(address, protocols);
				sockets++;
			}
		}
		let failuresLeft = 2;
		const client = createRealtimeClient({
			url: server.wsUrl,
			WebSocket: CountingSocket as unknown as typeof globalThis.WebSocket,
			getToken: async () => {
				if (failuresLeft-- > 0) throw new Error('refresh failed: network');
				return device.token();
			}
		});
		cleanups.push(() => client.close());
		const states: ConnectionState[] = [];
		cleanups.push(connectionStateStore(client).subscribe((s) => states.push(s)));
		const api = createTRPCClient<AppRouter>({
			links: [wsLink({ client, transformer: superjson })]
		});
		const got: number[] = [];
		let started = false;
		const sub = api.live.calls.subscribe(
			{},
			{ onStarted: () => (started = true), onData: (e) => got.push(e.data.id) }
		);
		cleanups.push(() => sub.unsubscribe());
		await until(() => states.includes('reconnecting'), 'reconnecting');
		expect(sockets).toBe(0);
		await until(() => started, 'started once a token came');
		expect(failuresLeft).toBe(-1);
		expect(sockets).toBe(1);
		expect(states.at(-1)).toBe('connected');
		const id = await server.publishCall();
		await until(() => got.length === 1, 'call');
		expect(got).toEqual([id]);
	});

	it('builds the socket URL from the page origin', () => {
		expect(webSocketUrl({ protocol: 'https:', host: 'scanner.example.org' })).toBe(
			'wss://scanner.example.org/api/ws'
		);
		expect(webSocketUrl({ protocol: 'http:', host: 'localhost:5173' })).toBe(
			'ws://localhost:5173/api/ws'
		);
	});
});

/**
 * Browser side of tests/e2e/realtime.test.ts: the app's realtime client (createRealtimeClient)
 * driven into the situations where a socket gets closed while it is still handshaking.
 */
import { createTRPCClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../../../src/lib/server/trpc/root';
import { createRealtimeClient } from '../../../src/lib/client/realtime';
import { safeWebSocketClass } from '../../../src/lib/client/safe-websocket';

type Mode = 'safe' | 'plain';

const log: string[] = [];
let sockets = 0;
let onNewSocket: (() => void) | null = null;
let armed: Promise<void> = Promise.resolve();

/** The WebSocket class under test, counting constructions so the page sees a reconnect begin. */
function socketClass(mode: Mode): typeof WebSocket {
	const Base = mode === 'safe' ? safeWebSocketClass(WebSocket) : WebSocket;
	return class Counted extends Base {
		constructor(url: string | URL, protocols?: string | string[]) {
			super(url, protocols);
			sockets++;
			const hook = onNewSocket;
			onNewSocket = null;
			// After tRPC has taken the socket as its next connection, while it still handshakes.
			if (hook) setTimeout(hook, 0);
		}
	};
}

function connect(mode: Mode, token: string) {
	const client = createRealtimeClient({
		url: `ws://${location.host}/api/ws`,
		getToken: async () => token,
		WebSocket: socketClass(mode)
	});
	const api = createTRPCClient<AppRouter>({ links: [wsLink({ client, transformer: superjson })] });
	let started = 0;
	const sub = api.live.calls.subscribe(
		{},
		{ onStarted: () => started++, onError: (err) => log.push(`subscription error: ${err.message}`) }
	);
	return { client, sub, started: () => started };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string, ms = 10_000) {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out: ${what}`);
		await sleep(20);
	}
}

const probe = {
	log,
	sockets: () => sockets,
	/** The server will ask this client to reconnect; the page closes it while the new socket handshakes. */
	async connected(mode: Mode, token: string) {
		const conn = connect(mode, token);
		await until(() => conn.started() > 0, 'first subscription started');
		(window as unknown as { current: typeof conn }).current = conn;
		return sockets;
	},
	/**
	 * Arms (and returns at once): as soon as the next socket is constructed (a reconnect begins),
	 * close the client. `closed()` then waits for that close, with a time limit.
	 */
	armCloseOnNextSocket() {
		const conn = (window as unknown as { current: ReturnType<typeof connect> }).current;
		armed = new Promise<void>((resolve) => {
			onNewSocket = () => void conn.client.close().then(() => resolve());
		});
	},
	closed(ms = 15_000) {
		return Promise.race([
			armed,
			sleep(ms).then(() => Promise.reject(new Error('timed out: reconnect closed')))
		]);
	},
	/** A logout while the very first socket is still connecting. */
	async logoutDuringConnect(mode: Mode, token: string) {
		const before = sockets;
		const conn = connect(mode, token);
		await until(() => sockets > before, 'socket constructed');
		await Promise.race([
			conn.client.close(),
			sleep(15_000).then(() => Promise.reject(new Error('timed out: close during connect')))
		]);
	}
};

(window as unknown as { probe: Probe }).probe = probe;

export type Probe = typeof probe;
document.body.dataset.ready = 'true';

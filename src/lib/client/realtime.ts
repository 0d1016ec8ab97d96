import { createWSClient, type TRPCClientError } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { retryDelayMs } from './backoff';
import { safeWebSocketClass } from './safe-websocket';

/** What a status badge shows. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface RealtimeOptions {
	url: string | (() => string);
	/**
	 * A fresh access token for each new socket (the app's single-flight refresh); null for an
	 * anonymous socket. Throwing means "no socket now": no socket is opened, and the client
	 * tries again with backoff while its state reads 'reconnecting'.
	 */
	getToken(): Promise<string | null>;
	/**
	 * The server closed the socket `4003 session revoked: <reason>`, or `4004 account expired`
	 * (reason `expired`).
	 */
	onRevoked?(reason: string): void;
	/** Defaults to the browser's WebSocket made safe to close while connecting. */
	WebSocket?: typeof WebSocket;
}

export type RealtimeClient = ReturnType<typeof createWSClient>;

/**
 * The WebSocket half of the app's tRPC client: one socket per tab for every subscription,
 * authenticated through connectionParams (a function, so every reconnect sends a fresh token),
 * reconnecting with jittered backoff. It opens on the first subscription and closes a while after
 * the last one ends. The token is fetched before each socket is created: when it cannot be had
 * (refreshes failing), no socket opens — never one that would silently be anonymous.
 */
export function createRealtimeClient(opts: RealtimeOptions): RealtimeClient {
	// tRPC resolves the URL, opens the socket, then asks for connectionParams: one attempt at a time.
	let token: string | null = null;
	return createWSClient({
		url: async () => {
			token = await opts.getToken();
			return typeof opts.url === 'function' ? opts.url() : opts.url;
		},
		WebSocket: opts.WebSocket ?? safeWebSocketClass(),
		connectionParams: () => (token ? { token } : {}),
		retryDelayMs,
		lazy: { enabled: true, closeMs: 10_000 },
		keepAlive: { enabled: true, intervalMs: 20_000, pongTimeoutMs: 5_000 },
		onClose(cause) {
			const close = cause as { code?: number; reason?: string } | undefined;
			const reason =
				close?.code === 4003 ? close.reason?.match(/^session revoked: (\w+)/)?.[1] : undefined;
			if (close?.code === 4003) opts.onRevoked?.(reason ?? 'unknown');
			if (close?.code === 4004) opts.onRevoked?.('expired');
		}
	});
}

/**
 * The server refused the socket's token (a subscription answered UNAUTHORIZED): drop the socket,
 * so the next one authenticates afresh. tRPC reconnects at once if subscriptions remain.
 */
export function dropSocket(client: RealtimeClient): void {
	const ws = client.connection?.ws;
	if (ws && ws.readyState === ws.OPEN) ws.close(1000, 'reauthenticating');
}

/** The client's connection state as a Svelte store (`$store` works with it). */
export function connectionStateStore(client: RealtimeClient) {
	return {
		subscribe(run: (state: ConnectionState) => void): () => void {
			const sub = client.connectionState.subscribe({
				next: (s) => run(toState(s.state, s.state === 'connecting' ? s.error : null))
			});
			return () => sub.unsubscribe();
		}
	};
}

function toState(
	state: 'idle' | 'connecting' | 'pending',
	error: TRPCClientError<AnyTRPCRouter> | null
): ConnectionState {
	if (state === 'pending') return 'connected';
	if (state === 'connecting') return error ? 'reconnecting' : 'connecting';
	return 'idle';
}

/** ws:// or wss:// to /api/ws on the page's own origin. */
export function webSocketUrl(location: { protocol: string; host: string }): string {
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
}

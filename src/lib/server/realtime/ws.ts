import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { config } from '../core/config';
import { services, type Services } from '../app';
import { appRouter } from '../trpc/root';
import { createWsContext } from '../trpc/context';
import { routeUpgrades } from './upgrade';
import { wsCodec } from './ws-codec';
import { Connections } from './connections';
import { boundedWebSocket, MAX_BUFFERED_BYTES } from './bounded-socket';
import { originAllowed } from './origin';
import { logPresenceChanges } from '../live/presence-log';
import { RECONNECT_NOTICE, SERVER_RESTART } from './close-codes';
import { SocketLimits } from './socket-limits';
import { clientIp } from '../auth/client-ip';

export interface WebSocketOptions {
	/** Vite dev server: leave other WebSocket upgrades (HMR) alone. */
	dev?: boolean;
	/** The services to serve; defaults to the process's (tests pass their own). */
	services?: Services;
	/** Unsent bytes one socket may hold before it is closed as a slow consumer. */
	maxBufferedBytes?: number;
	/** Largest message a client may send. */
	maxPayloadBytes?: number;
	/** tRPC keep-alive: ping after this much quiet, give up after no answer for pongWaitMs. */
	keepAlive?: { pingMs: number; pongWaitMs: number };
}

export interface WebSocketHandle {
	/** Shutdown: every socket gets the reconnect notice, then is closed (1012). */
	close(): Promise<void>;
	/** Open sockets, and how many were cut off as slow consumers since start. */
	stats(): { sockets: number; slowConsumersClosed: number };
}

/**
 * Serves tRPC over WebSocket at /api/ws on an http.Server (the production start script, the Vite
 * dev server, or a test's own server). Other upgrade requests (h2c on recorder uploads) are
 * served as ordinary HTTP by routeUpgrades.
 */
export function attachWebSockets(server: Server, opts: WebSocketOptions = {}): WebSocketHandle {
	let closing = false;
	let slowConsumersClosed = 0;
	// Read when used: in dev, Kit fills the environment on the first HTTP request.
	const cfg = () => opts.services?.config ?? config();
	const limits = new SocketLimits(() => ({
		maxSubscriptions: cfg().wsMaxSubscriptions,
		maxPerIp: cfg().wsMaxSocketsPerIp,
		authTimeoutMs: cfg().wsAuthTimeoutSec * 1000
	}));
	const wss = new WebSocketServer({
		noServer: true,
		maxPayload: opts.maxPayloadBytes ?? 64 * 1024,
		perMessageDeflate: false,
		WebSocket: boundedWebSocket(
			opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
			() => slowConsumersClosed++
		)
	});

	// Services are built lazily: in dev, Kit fills the environment on the first HTTP request.
	let ready:
		Promise<{ svc: Services; connections: Connections; stopPresenceLog: () => void }> | undefined;
	const setup = () =>
		(ready ??= (async () => {
			const svc = opts.services ?? (await services());
			return { svc, connections: new Connections(svc), stopPresenceLog: logPresenceChanges(svc) };
		})());

	applyWSSHandler({
		wss,
		router: appRouter,
		experimental_encoder: wsCodec,
		// Messages in one frame; its refusal answers each with BAD_REQUEST. Fixed in dev, where
		// the config may not be readable yet.
		maxBatchSize: opts.dev && !opts.services ? 20 : cfg().wsMaxSubscriptions,
		keepAlive: {
			enabled: true,
			pingMs: opts.keepAlive?.pingMs ?? 30_000,
			pongWaitMs: opts.keepAlive?.pongWaitMs ?? 5_000
		},
		// Never throws for a bad token (that makes clients reconnect in a storm): the context just
		// has no viewer, and protected procedures answer UNAUTHORIZED.
		async createContext({ req, res, info }) {
			const { svc, connections } = await setup();
			const ctx = await createWsContext(req, info.connectionParams, {
				services: svc,
				connectionId: randomUUID(),
				socket: res,
				subscriptions: undefined
			});
			ctx.subscriptions = limits.authenticated(res, ctx.viewer !== null);
			connections.add(res, ctx.viewer);
			return ctx;
		},
		onError({ error, path }) {
			// A client breaking the protocol (oversized frame, bad UTF-8) is closed by ws itself, and
			// a dropped connection is the network's business: neither is a server fault.
			const cause = (error.cause as { code?: unknown } | undefined)?.code;
			if (typeof cause === 'string' && (cause.startsWith('WS_ERR_') || DROPPED.has(cause))) return;
			if (error.code === 'INTERNAL_SERVER_ERROR')
				console.error(`tRPC ws ${path ?? '?'} failed:`, error.cause ?? error);
		}
	});

	const detach = routeUpgrades(server, {
		dev: opts.dev,
		onWebSocket(req, socket, head) {
			if (closing) return refuse(socket, 503, 'Service Unavailable');
			let allowed: boolean;
			try {
				allowed = originAllowed(req, cfg());
			} catch {
				return refuse(socket, 500, 'Internal Server Error');
			}
			if (!allowed) return refuse(socket, 403, 'Forbidden');
			const forwarded = req.headers['x-forwarded-for'];
			const ip = clientIp(
				Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
				req.socket.remoteAddress ?? '',
				cfg().trustProxy
			);
			if (!limits.admits(ip)) return refuse(socket, 429, 'Too Many Requests');
			wss.handleUpgrade(req, socket, head, (ws) => {
				limits.opened(ws, ip);
				wss.emit('connection', ws, req);
			});
		}
	});

	return {
		stats: () => ({ sockets: wss.clients.size, slowConsumersClosed }),
		async close() {
			if (closing) return;
			closing = true;
			const state = await ready?.catch(() => undefined);
			state?.connections.dispose();
			state?.stopPresenceLog();
			const sockets = [...wss.clients];
			for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(RECONNECT_NOTICE);
			await Promise.all(sockets.map((ws) => closeSocket(ws, 2_000)));
			detach();
			wss.close();
		}
	};
}

const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function refuse(socket: Duplex, status: number, text: string): void {
	socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Closes with 1012 and waits for the handshake, terminating a peer that does not answer. */
function closeSocket(ws: WebSocket, timeoutMs: number): Promise<void> {
	if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(() => ws.terminate(), timeoutMs);
		ws.once('close', () => {
			clearTimeout(timer);
			resolve();
		});
		ws.close(SERVER_RESTART.code, SERVER_RESTART.reason);
	});
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyRouter } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { Config } from '../core/config';
import type { Viewer } from '../auth/access-token';
import { routeUpgrades } from './upgrade';
import { wsCodec } from './ws-codec';
import { Connections } from './connections';
import { boundedWebSocket, MAX_BUFFERED_BYTES } from './bounded-socket';
import { originAllowed } from './origin';
import { RECONNECT_NOTICE, SERVER_RESTART } from './close-codes';
import { SocketLimits, type SubscriptionSlots } from './socket-limits';
import { clientIp } from '../auth/client-ip';

export interface WebSocketOptions {
	/** Vite dev server: leave other WebSocket upgrades (HMR) alone. */
	dev?: boolean;
	/** What the socket rules need (the composition root's services, or a test's own). */
	services: { bus: Bus; clock: Clock; config: Config };
	/** The tRPC router to serve, and the per-socket context (app.ts wires trpc/ in here). */
	router: AnyRouter;
	createContext: SocketContextFn;
	/** Unsent bytes one socket may hold before it is closed as a slow consumer. */
	maxBufferedBytes?: number;
	/** Largest message a client may send. */
	maxPayloadBytes?: number;
	/** tRPC keep-alive: ping after this much quiet, give up after no answer for pongWaitMs. */
	keepAlive?: { pingMs: number; pongWaitMs: number };
}

/** Builds one socket's context; must never throw for a bad token (clients would reconnect in a storm). */
export type SocketContextFn = (
	req: IncomingMessage,
	connectionParams: Record<string, string | undefined> | null,
	socket: { connectionId: string; socket: WebSocket }
) => Promise<{ viewer: Viewer | null; subscriptions?: SubscriptionSlots }>;

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
export function attachWebSockets(server: Server, opts: WebSocketOptions): WebSocketHandle {
	const svc = opts.services;
	const connections = new Connections(svc);
	let closing = false;
	let slowConsumersClosed = 0;
	const cfg = () => svc.config;
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

	applyWSSHandler({
		wss,
		router: opts.router,
		experimental_encoder: wsCodec,
		// Messages in one frame; its refusal answers each with BAD_REQUEST.
		maxBatchSize: cfg().wsMaxSubscriptions,
		keepAlive: {
			enabled: true,
			pingMs: opts.keepAlive?.pingMs ?? 30_000,
			pongWaitMs: opts.keepAlive?.pongWaitMs ?? 5_000
		},
		// Never throws for a bad token (that makes clients reconnect in a storm): the context just
		// has no viewer, and protected procedures answer UNAUTHORIZED.
		async createContext({ req, res, info }) {
			const ctx = await opts.createContext(req, info.connectionParams, {
				connectionId: randomUUID(),
				socket: res
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
				allowed = originAllowed(req, svc.config);
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
			connections.dispose();
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

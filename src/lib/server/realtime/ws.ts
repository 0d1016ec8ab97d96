import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AnyRouter } from '@trpc/server';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { Config } from '../core/config';
import type { Viewer } from '../auth/access-token';
import { routeUpgrades } from './upgrade';
import { DIRECT_SUBSCRIPTIONS, wsCodec } from './ws-codec';
import { TrpcSocket, type TrpcSocketOptions } from './trpc-socket';
import type { DirectStart } from './direct-subscription';
import { KeepAlive, monotonicMs } from './keep-alive';
import { Connections } from './connections';
import { boundedWebSocket, MAX_BUFFERED_BYTES } from './bounded-socket';
import { originAllowed } from './origin';
import { RECONNECT_NOTICE, SERVER_RESTART } from './close-codes';
import { SocketLimits } from './socket-limits';
import { clientIp } from '../auth/client-ip';

export interface WebSocketOptions {
	/** Vite dev server: leave other WebSocket upgrades (HMR) alone. */
	dev?: boolean;
	/** What the socket rules need (the composition root's services, or a test's own). */
	services: { bus: Bus; clock: Clock; config: Config };
	/** The tRPC router to serve, and the per-socket context (app.ts wires trpc/ in here). */
	router: AnyRouter;
	createContext: SocketContextFn;
	/** Direct subscriptions the server may start without their procedure chain (trpc-socket.ts). */
	directStarts?: ReadonlyMap<string, DirectStart>;
	/** Unsent bytes one socket may hold before it is closed as a slow consumer. */
	maxBufferedBytes?: number;
	/** Largest message a client may send. */
	maxPayloadBytes?: number;
	/** tRPC keep-alive: ping after this much quiet, give up after no answer for pongWaitMs. */
	keepAlive?: { pingMs: number; pongWaitMs: number };
}

/**
 * Builds one socket's context; must never throw for a bad token (clients would reconnect in a
 * storm). Gets what it needs of the upgrade request, not the request: a socket keeps no
 * reference to it once open.
 */
export type SocketContextFn = (
	peer: { ip: string; userAgent: string },
	connectionParams: Record<string, string | undefined> | null,
	socket: { socket: WebSocket }
) => Promise<{ viewer: Viewer | null }>;

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

	const keepAlive = new KeepAlive(
		opts.keepAlive?.pingMs ?? 30_000,
		opts.keepAlive?.pongWaitMs ?? 5_000
	);
	const protocol: TrpcSocketOptions = {
		router: opts.router,
		encoder: wsCodec,
		// Messages in one frame; its refusal answers each with BAD_REQUEST.
		maxBatchSize: cfg().wsMaxSubscriptions,
		direct: DIRECT_SUBSCRIPTIONS,
		directStarts: opts.directStarts,
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR')
				console.error(`tRPC ws ${path ?? '?'} failed:`, error.cause ?? error);
		}
	};

	/** The socket is open: it speaks tRPC from here; its context is built from what `peer` says. */
	const serve = (ws: WebSocket, peer: { ip: string; userAgent: string }, wantsParams: boolean) => {
		// Never throws for a bad token (that makes clients reconnect in a storm): the context just
		// has no viewer, and protected procedures answer UNAUTHORIZED.
		const build = (params: Record<string, string> | null) =>
			opts.createContext(peer, params, { socket: ws }).then((ctx) => {
				const slots = limits.authenticated(ws, ctx.viewer !== null);
				connections.add(ws, ctx.viewer);
				return { ctx, slots };
			});
		const trpc = new TrpcSocket(ws, protocol, build, wantsParams, monotonicMs());
		(ws as PeerSocket)[PEER] = trpc;
		ws.on('message', onMessage);
		ws.on('error', onError);
		ws.on('close', onClose); // 'close' comes once; on() spares once()'s wrapper per socket
		keepAlive.add(trpc);
	};
	function onClose(this: WebSocket) {
		const trpc = (this as PeerSocket)[PEER];
		keepAlive.delete(trpc);
		trpc.closed();
		connections.closed(this);
		limits.closed(this);
	}

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
			const peer = { ip, userAgent: req.headers['user-agent'] ?? '' };
			const wantsParams = asksForConnectionParams(req.url ?? '/');
			wss.handleUpgrade(req, socket, head, (ws) => {
				limits.opened(ws, ip);
				serve(ws, peer, wantsParams);
			});
		}
	});

	return {
		stats: () => ({ sockets: wss.clients.size, slowConsumersClosed }),
		async close() {
			if (closing) return;
			closing = true;
			connections.dispose();
			keepAlive.stop();
			limits.stop();
			const sockets = [...wss.clients];
			for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(RECONNECT_NOTICE);
			await Promise.all(sockets.map((ws) => closeSocket(ws, 2_000)));
			detach();
			wss.close();
		}
	};
}

/**
 * Whether the query says `connectionParams=1` (wsLink: its first message carries them), as
 * URLSearchParams reads it (the first occurrence counts), without building a URL and its
 * search params per upgrade; anything percent-encoded goes through URLSearchParams itself.
 */
export function asksForConnectionParams(url: string): boolean {
	const start = url.indexOf('?');
	if (start < 0) return false;
	const hash = url.indexOf('#', start);
	const query = url.slice(start + 1, hash < 0 ? undefined : hash);
	if (query.includes('%') || query.includes('+'))
		return new URLSearchParams(query).get('connectionParams') === '1';
	for (const pair of query.split('&')) {
		const eq = pair.indexOf('=');
		if ((eq < 0 ? pair : pair.slice(0, eq)) === 'connectionParams')
			return eq >= 0 && pair.slice(eq + 1) === '1';
	}
	return false;
}

const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

const PEER = Symbol('trpc');
type PeerSocket = WebSocket & { [PEER]: TrpcSocket };

// One listener function for every socket (no closures per socket); `this` is the socket.
function onMessage(this: WebSocket, data: RawData, isBinary: boolean) {
	(this as PeerSocket)[PEER].message(data, isBinary, monotonicMs());
}

/**
 * A client breaking the protocol (oversized frame, bad UTF-8) is closed by ws itself, and a
 * dropped connection is the network's business: neither is a server fault.
 */
function onError(this: WebSocket, error: Error & { code?: unknown }) {
	const code = error.code;
	if (typeof code === 'string' && (code.startsWith('WS_ERR_') || DROPPED.has(code))) return;
	console.error('WebSocket failed:', error);
}

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

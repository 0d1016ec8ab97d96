import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createTRPCClient, createWSClient, wsLink, type TRPCClient } from '@trpc/client';
import superjson from 'superjson';
import { parseConfig } from '../../src/lib/server/core/config';
import { createApp, type App, type Services, type SocketOptions } from '../../src/lib/server/app';
import type { WebSocketHandle } from '../../src/lib/server/realtime/ws';
import { insertUser } from '../../src/lib/server/auth/accounts';
import { createSession, rotateRefreshToken } from '../../src/lib/server/auth/sessions';
import { signAccessToken } from '../../src/lib/server/auth/access-token';
import type { Role } from '../../src/lib/server/core/db/types';
import type { AppRouter } from '../../src/lib/server/trpc/root';
import { insertCall, type TestCall } from './calls';

/**
 * The realtime layer in-process: a plain http.Server with the app's real WebSocket server on an
 * ephemeral port, the real app (app.ts createApp) over a temporary SQLite file. Tests publish on its bus the way
 * ingest does, and talk to it with the real @trpc/client over real sockets.
 */
export interface LiveServer {
	readonly svc: Services;
	readonly wsUrl: string;
	readonly port: number;
	dataDir: string;
	/** Stores a call and announces it, as ingest does. */
	publishCall(call?: TestCall): Promise<number>;
	/** The WebSocket server's counters. */
	wsStats(): { sockets: number; slowConsumersClosed: number };
	/** Shutdown as on SIGTERM, then up again on the same port and data dir with fresh services. */
	restart(): Promise<void>;
	close(): Promise<void>;
}

export interface LiveServerOptions {
	env?: Record<string, string>;
	ws?: SocketOptions;
	/** Serves plain HTTP requests (a test page); 404 otherwise. */
	handler?: http.RequestListener;
	/** Holds every upgrade this long before handling it: a slow network, sockets stay CONNECTING. */
	upgradeDelayMs?: number;
}

export async function startLiveServer(opts: LiveServerOptions = {}): Promise<LiveServer> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-live-'));
	let port = 0;
	let app: App;
	let svc: Services;
	let server: http.Server;
	let handle: WebSocketHandle;

	const up = async () => {
		app = await createApp(parseConfig({ DATA_DIR: dataDir, ...opts.env }));
		svc = app.services;
		server = http.createServer(
			opts.handler ??
				((_req, res) => {
					res.statusCode = 404;
					res.end();
				})
		);
		if (opts.upgradeDelayMs) {
			const emit = server.emit.bind(server) as (event: string, ...args: unknown[]) => boolean;
			const delay = opts.upgradeDelayMs;
			server.emit = ((event: string, ...args: unknown[]) => {
				if (event !== 'upgrade') return emit(event, ...args);
				setTimeout(() => emit(event, ...args), delay);
				return true;
			}) as typeof server.emit;
		}
		handle = app.attachWebSockets(server, opts.ws);
		await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		port = (server.address() as AddressInfo).port;
	};
	const down = async () => {
		await handle.close();
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
		await app.stop();
	};

	await up();
	return {
		get svc() {
			return svc;
		},
		get wsUrl() {
			return `ws://127.0.0.1:${port}/api/ws`;
		},
		get port() {
			return port;
		},
		dataDir,
		wsStats: () => handle.stats(),
		async publishCall(call) {
			const id = await insertCall(svc.db, call);
			svc.bus.publish('call.ingested', { callId: id });
			return id;
		},
		async restart() {
			await down();
			await up();
		},
		async close() {
			await down();
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** A signed-in device, made through the session services: tokens on demand, refreshed by rotation. */
export interface TestDevice {
	userId: number;
	sessionId: string;
	accessToken: string;
	expiresAt: number;
	/** The current token, refreshed first when less than `minRemainingMs` of it is left. */
	token(minRemainingMs?: number): Promise<string>;
	refresh(): Promise<string>;
}

export async function signIn(
	server: LiveServer,
	username: string,
	role: Role = 'listener',
	userId?: number
): Promise<TestDevice> {
	const svc = () => server.svc;
	const id =
		userId ?? (await insertUser(svc(), { username, password: `${username}-password-1`, role }));
	const { session, refreshToken } = await createSession(svc(), id, {
		userAgent: 'test',
		ip: '127.0.0.1',
		rememberMe: true
	});
	let refresh = refreshToken;
	const sign = async () => {
		const signed = await signAccessToken(svc(), {
			userId: id,
			username,
			role,
			sessionId: session.id
		});
		device.accessToken = signed.token;
		device.expiresAt = signed.expiresAt;
		return signed.token;
	};
	const device: TestDevice = {
		userId: id,
		sessionId: session.id,
		accessToken: '',
		expiresAt: 0,
		async token(minRemainingMs = 0) {
			if (device.expiresAt - Date.now() <= minRemainingMs) return device.refresh();
			return device.accessToken;
		},
		async refresh() {
			const outcome = await rotateRefreshToken(svc(), refresh);
			if (!outcome.ok) throw new Error(`refresh failed: ${outcome.reason}`);
			refresh = outcome.refreshToken;
			return sign();
		}
	};
	await sign();
	return device;
}

export interface CloseRecord {
	code: number;
	reason: string;
}

/** A real tRPC client over WebSocket (the `ws` package), as a Node consumer would build it. */
export function liveClient(
	url: string,
	opts: { token?: () => Promise<string | null>; WebSocket?: typeof WebSocket; origin?: string } = {}
) {
	const closes: CloseRecord[] = [];
	let opens = 0;
	const BaseSocket = opts.WebSocket ?? WebSocket;
	const Socket = opts.origin
		? class extends BaseSocket {
				constructor(address: string | URL, protocols?: string | string[]) {
					super(address, protocols, { origin: opts.origin });
				}
			}
		: BaseSocket;
	const wsClient = createWSClient({
		url,
		WebSocket: Socket as unknown as typeof globalThis.WebSocket,
		connectionParams: opts.token ? async () => ({ token: (await opts.token!()) ?? '' }) : undefined,
		retryDelayMs: () => 50,
		onOpen: () => opens++,
		onClose: (cause) =>
			closes.push({
				code: cause?.code ?? 0,
				reason: (cause as { reason?: string } | undefined)?.reason ?? ''
			})
	});
	const client: TRPCClient<AppRouter> = createTRPCClient<AppRouter>({
		links: [wsLink({ client: wsClient, transformer: superjson })]
	});
	return {
		client,
		wsClient,
		closes,
		get opens() {
			return opens;
		},
		close: () => wsClient.close()
	};
}

/** Resolves when `check` passes, polling; rejects with `message` after `timeoutMs`. */
export async function until(
	check: () => boolean,
	message: string,
	timeoutMs = 10_000
): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

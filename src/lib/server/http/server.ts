import http, { type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Services } from '../trpc/context';
import { hotRoutes } from './hot-routes';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** A request still running this long after SIGTERM (a slow upload) is cut off. */
const SHUTDOWN_GRACE_MS = 30_000;

/** What the server needs of the app: its services, its WebSocket server and its shutdown. */
export interface ServedApp {
	readonly services: Services;
	attachWebSockets(server: Server): unknown;
	/** Every socket gets tRPC's reconnect notice, then is closed. */
	closeWebSockets(): Promise<void>;
	stop(): Promise<void>;
}

export interface HttpServerHandle {
	server: Server;
	/** Graceful: WebSockets get tRPC's reconnect notice, HTTP drains, the app stops. */
	close(): Promise<void>;
}

/**
 * `npm start`'s http.Server: the hot routes (audio, recorder uploads) first, everything else to
 * SvelteKit's handler (adapter-node's build/handler.js), tRPC over WebSocket on its upgrades.
 * Listens on HOST/PORT; SIGTERM or SIGINT shuts it down gracefully.
 */
export async function serveHttp(opts: {
	app: ServedApp;
	kit: RequestListener;
}): Promise<HttpServerHandle> {
	const { app, kit } = opts;
	const cfg = app.services.config;
	const server = http.createServer({
		requestTimeout: cfg.requestTimeoutMs,
		headersTimeout: Math.min(cfg.headersTimeoutMs, cfg.requestTimeoutMs)
	});
	server.on('request', useHotRoutes(cfg) ? hotRoutes(app.services, kit) : kit);
	app.attachWebSockets(server);

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(cfg.port, cfg.host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	console.log(`Squelch listening on ${displayUrl(server.address() as AddressInfo)}`);

	let closing: Promise<void> | undefined;
	const onSignal = () => void close();
	const close = () =>
		(closing ??= (async () => {
			for (const signal of SIGNALS) process.off(signal, onSignal);
			// No new connections; idle keep-alive ones go now, busy ones once their reply is out.
			const drained = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeIdleConnections();
			// WebSocket clients resume from their last id on the next server.
			await app.closeWebSockets();
			const stragglers = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
			await drained;
			clearTimeout(stragglers);
			await app.stop();
		})());
	for (const signal of SIGNALS) process.once(signal, onSignal);
	return { server, close };
}

function useHotRoutes(cfg: Services['config']): boolean {
	if (!cfg.hotRoutes) return false;
	if (cfg.kitOnlyOptions.length) {
		console.log(
			`Squelch: ${cfg.kitOnlyOptions.join(', ')} set; audio and uploads are served through SvelteKit`
		);
		return false;
	}
	return true;
}

function displayUrl(address: AddressInfo): string {
	const host =
		!address.address || address.address === '::' || address.address === '0.0.0.0'
			? 'localhost'
			: address.address;
	return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

import type { RequestListener, Server } from 'node:http';
import { services, type Services } from './app';
import { attachWebSockets } from './realtime/ws';
import { startCalls } from './calls/lifecycle';
import { startAlerts } from './alerts/lifecycle';
import { attachHotRoutes } from './http/hot-routes';
import { FileClock } from './core/clock';
import { startForwarding } from './forward/worker';

/** The production start script finds the WebSocket attacher here once the app has initialised. */
export const ATTACH_KEY = Symbol.for('squelch.attachWebSockets');
/** …and the hot-path attacher (audio and uploads ahead of SvelteKit, http/hot-routes.ts). */
export const HOT_ROUTES_KEY = Symbol.for('squelch.attachHotRoutes');

let started: Promise<void> | undefined;

async function stopServices(svc: Services): Promise<void> {
	for (const stop of svc.onShutdown) {
		try {
			await stop();
		} catch (err) {
			console.error('Squelch: a shutdown step failed:', err instanceof Error ? err.message : err);
		}
	}
	await svc.db.destroy();
}

/** Runs once per process, from hooks.server.ts `init`: migrations, background jobs, WS and hot-path hand-off. */
export function startServer(): Promise<void> {
	started ??= (async () => {
		const svc = await services();
		await startCalls(svc);
		if (svc.clock instanceof FileClock) svc.onShutdown.push(svc.clock.listen());
		svc.onShutdown.push(startForwarding(svc));
		await startAlerts(svc);
		// adapter-node emits this once HTTP has drained (after SIGTERM/SIGINT): stop timers, close SQLite.
		process.once('sveltekit:shutdown' as 'beforeExit', () => void stopServices(svc));
		(globalThis as Record<symbol, unknown>)[ATTACH_KEY] = (server: Server) =>
			attachWebSockets(server);
		(globalThis as Record<symbol, unknown>)[HOT_ROUTES_KEY] = (
			server: Server,
			kit: RequestListener
		) => attachHotRoutes(server, kit, svc);
	})();
	return started;
}

import type { Server } from 'node:http';
import { services } from './services';
import { attachWebSockets } from './trpc/ws';
import { startCalls } from './calls/lifecycle';

/** The production start script finds the WebSocket attacher here once the app has initialised. */
export const ATTACH_KEY = Symbol.for('squelch.attachWebSockets');

let started: Promise<void> | undefined;

/** Runs once per process, from hooks.server.ts `init`: migrations, background jobs, WS hand-off. */
export function startServer(): Promise<void> {
	started ??= (async () => {
		const svc = await services();
		await startCalls(svc);
		(globalThis as Record<symbol, unknown>)[ATTACH_KEY] = (server: Server) => attachWebSockets(server);
	})();
	return started;
}

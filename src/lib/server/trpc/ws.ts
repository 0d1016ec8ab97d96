import type { Server } from 'node:http';
import { routeUpgrades } from './upgrade';

/**
 * Attaches tRPC-over-WebSocket at /api/ws to an http.Server (production start script, or the
 * Vite dev server). Placeholder for the realtime layer: for now it only routes non-WebSocket
 * upgrades (h2c) back to HTTP and refuses WebSockets.
 */
export function attachWebSockets(server: Server, opts: { dev?: boolean } = {}): { close(): Promise<void> } {
	const detach = routeUpgrades(server, {
		dev: opts.dev,
		onWebSocket: (_req, socket) => {
			socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
		}
	});
	return { close: async () => detach() };
}

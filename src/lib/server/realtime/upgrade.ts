import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

export const WS_PATH = '/api/ws';

// Headers that asked for the protocol switch; dropped when the request is served as plain HTTP.
const UPGRADE_HEADERS = new Set(['upgrade', 'connection', 'http2-settings']);

/**
 * Once any 'upgrade' listener exists, Node hands every request carrying `Upgrade:` to it — including
 * SDRTrunk's uploads, to which Java adds `Upgrade: h2c` over plain http. Only a WebSocket upgrade
 * to /api/ws is ours; every other upgrade request goes back to the HTTP server as an ordinary
 * request. In dev, Vite's own upgrades (HMR) are left alone.
 */
export function routeUpgrades(
	server: Server,
	opts: { onWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): void; dev?: boolean }
): () => void {
	const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
		const pathname = (req.url ?? '/').split('?')[0];
		const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
		if (isWebSocket && pathname === WS_PATH) return opts.onWebSocket(req, socket, head);
		if (opts.dev && isWebSocket) return; // Vite's HMR socket and friends
		serveAsPlainHttp(server, req, socket, head);
	};
	server.on('upgrade', listener);
	return () => server.off('upgrade', listener);
}

/** Re-assemble the request head without the upgrade headers and let the HTTP server parse it again. */
export function serveAsPlainHttp(
	server: Server,
	req: IncomingMessage,
	socket: Duplex,
	head: Buffer
): void {
	const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
	for (let i = 0; i < req.rawHeaders.length; i += 2) {
		if (!UPGRADE_HEADERS.has(req.rawHeaders[i].toLowerCase()))
			lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
	}
	const rebuilt = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
	socket.unshift(head.length ? Buffer.concat([rebuilt, head]) : rebuilt);
	server.emit('connection', socket);
}

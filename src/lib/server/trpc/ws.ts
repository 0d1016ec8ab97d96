import type { Server } from 'node:http';

/** Placeholder until the realtime layer lands: attaches nothing. */
export function attachWebSockets(server: Server): { close(): Promise<void> } {
	void server;
	return { close: async () => {} };
}

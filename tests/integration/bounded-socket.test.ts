import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { boundedWebSocket } from '../../src/lib/server/realtime/bounded-socket';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

/** A server using the bounded socket class, one client connected to it. */
async function pair(maxBufferedBytes = 1 << 20) {
	const wss = new WebSocketServer({
		port: 0,
		host: '127.0.0.1',
		WebSocket: boundedWebSocket(maxBufferedBytes)
	});
	const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
	await new Promise((resolve) => wss.once('listening', resolve));
	const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
	const received: string[] = [];
	client.on('message', (data) => received.push(data.toString()));
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		client.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
	);
	await new Promise((resolve) => client.once('open', resolve));
	cleanups.push(
		() => client.terminate(),
		() => wss.close()
	);
	return { server: await serverSide, received, closed };
}

describe('boundedWebSocket', () => {
	it('sends frames written in one synchronous pass as one socket write, intact and in order', async () => {
		const { server, received } = await pair();
		const raw = (
			server as unknown as {
				_socket: { _writev: (...a: unknown[]) => void; _write: (...a: unknown[]) => void };
			}
		)._socket;
		const calls = { writev: 0, write: 0 };
		const { _writev, _write } = raw;
		raw._writev = function (...args) {
			calls.writev++;
			return _writev.apply(this, args);
		};
		raw._write = function (...args) {
			calls.write++;
			return _write.apply(this, args);
		};
		for (const n of [1, 2, 3]) server.send(Buffer.from(`{"n":${n}}`), { binary: false });
		await expect.poll(() => received).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
		expect(calls).toEqual({ writev: 1, write: 0 });

		// A later pass is its own write.
		server.send('{"n":4}');
		await expect.poll(() => received.length).toBe(4);
		expect(calls.writev + calls.write).toBe(2);
	});

	it('still closes a socket 1013 once its unsent bytes pass the bound, dropping what follows', async () => {
		const { server, received, closed } = await pair(64 * 1024);
		// One corked pass: everything waits in the buffer, so the bound is passed within it.
		for (let i = 0; i < 20; i++) server.send(Buffer.alloc(8 * 1024, 1), { binary: false });
		expect(server.readyState).toBe(WebSocket.CLOSING);
		expect(await closed).toEqual({ code: 1013, reason: 'slow consumer' });
		expect(received.length).toBeGreaterThan(0);
		expect(received.length).toBeLessThan(20);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server';

// The WebSocket limits and the Origin rule on the production server (`npm start`), through real
// sockets. The per-socket subscription and batch limits are covered in
// tests/integration/socket-limits.test.ts.

let server: TestServer;
beforeAll(async () => {
	server = await startServer({
		env: { SQUELCH_TRUST_PROXY: '1', SQUELCH_WS_MAX_PER_IP: '2', SQUELCH_WS_AUTH_TIMEOUT: '2' }
	});
});
afterAll(() => server?.stop());

const sockets: WebSocket[] = [];
afterAll(() => sockets.forEach((ws) => ws.terminate()));

/** Opens a socket; resolves with it once open, or with the refusal's HTTP status. */
function connect(headers: Record<string, string>, origin?: string) {
	return new Promise<{ ws: WebSocket; closed: Promise<[number, string]> } | { status: number }>(
		(resolve, reject) => {
			const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws`, { headers, origin });
			sockets.push(ws);
			const closed = new Promise<[number, string]>((done) =>
				ws.once('close', (code, reason) => done([code, reason.toString()]))
			);
			ws.once('open', () => resolve({ ws, closed }));
			ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
			ws.once('error', reject);
		}
	);
}

describe('WebSocket limits on the production server', () => {
	it('refuses the DNS-rebinding shape without ORIGIN: a name as Host with a matching Origin', async () => {
		const port = server.port;
		expect(await connect({ host: `evil.example:${port}` }, `http://evil.example:${port}`)).toEqual({
			status: 403
		});
		const byAddress = await connect({}, `http://127.0.0.1:${port}`);
		expect('ws' in byAddress).toBe(true);
	});

	it('answers 429 to a third socket from one address, and closes an idle anonymous socket 4008', async () => {
		const from = { 'x-forwarded-for': '203.0.113.5' };
		const first = await connect(from);
		const second = await connect(from);
		expect(await connect(from)).toEqual({ status: 429 });
		expect('ws' in (await connect({ 'x-forwarded-for': '203.0.113.6' }))).toBe(true);

		if (!('ws' in first) || !('ws' in second)) throw new Error('sockets should have opened');
		expect(await first.closed).toEqual([4008, 'authentication timeout']);
		// Its slot is free again once it is gone.
		expect(await second.closed).toEqual([4008, 'authentication timeout']);
		expect('ws' in (await connect(from))).toBe(true);
	});
});

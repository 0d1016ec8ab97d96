import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import { testServices } from '../../src/lib/server/testing';
import { serveHttp, type ServedApp } from '../../src/lib/server/http/server';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
});

/** GET on a fresh connection; resolves with the status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		http
			.get(url, { agent: false }, (res) => {
				let body = '';
				res.on('data', (c) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
			})
			.on('error', reject);
	});
}

describe('npm start', () => {
	let server: TestServer | undefined;
	afterEach(async () => {
		await server?.stop();
		server = undefined;
	});

	it('on SIGTERM tells every WebSocket to reconnect, closes it 1012, and exits 0 by itself', async () => {
		server = await startServer();
		const admin = await signInAdmin(server.url);
		const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws?connectionParams=1`);
		cleanups.push(() => ws.terminate());
		const messages: string[] = [];
		ws.on('message', (m) => messages.push(m.toString()));
		const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
		await new Promise((r) => ws.once('open', r));
		ws.send(JSON.stringify({ method: 'connectionParams', data: { token: admin.token } }));
		ws.send(
			JSON.stringify({
				id: 1,
				method: 'subscription',
				params: { path: 'live.calls', input: { json: {} } }
			})
		);
		await expect.poll(() => messages.some((m) => m.includes('"started"'))).toBe(true);

		const exit = await server.stop();
		server = undefined;
		expect(exit).toEqual({ code: 0, signal: null });
		expect(messages).toContain('{"id":null,"method":"reconnect"}');
		expect(await closed).toBe(1012);
	});

	it('starts again on the same data after a graceful stop (the database was closed cleanly)', async () => {
		server = await startServer();
		const before = await get(`${server.url}/api/health`);
		await server.restart();
		const after = await get(`${server.url}/api/health`);
		expect([before.status, after.status]).toEqual([200, 200]);
		expect(server.output()).not.toMatch(/shutdown step failed|Error/);
	});
});

describe('serveHttp', () => {
	async function serve(env: Record<string, string>) {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-http-'));
		const services = await testServices({
			DATA_DIR: dataDir,
			HOST: '127.0.0.1',
			PORT: '0',
			...env
		});
		const steps: string[] = [];
		const app: ServedApp = {
			services,
			attachWebSockets: () => steps.push('websockets attached'),
			closeWebSockets: async () => void steps.push('websockets closed'),
			stop: async () => void steps.push('app stopped')
		};
		const kit: http.RequestListener = (req, res) => res.end(`kit: ${req.method} ${req.url}`);
		const handle = await serveHttp({ app, kit });
		cleanups.push(() => handle.close());
		const base = `http://127.0.0.1:${(handle.server.address() as AddressInfo).port}`;
		return { handle, steps, base };
	}

	it('sets the configured timeouts, serves SvelteKit for other paths, and shuts down in order', async () => {
		const signalListeners = process.listenerCount('SIGTERM');
		const { handle, steps, base } = await serve({
			SQUELCH_REQUEST_TIMEOUT: '1200',
			SQUELCH_HEADERS_TIMEOUT: '30'
		});
		expect(handle.server.requestTimeout).toBe(1_200_000);
		expect(handle.server.headersTimeout).toBe(30_000);
		expect(await get(`${base}/login`)).toEqual({ status: 200, body: 'kit: GET /login' });
		// The hot routes answer uploads themselves (a GET is refused with the recorder text).
		expect((await get(`${base}/api/call-upload`)).body).not.toContain('kit:');

		await handle.close();
		expect(steps).toEqual(['websockets attached', 'websockets closed', 'app stopped']);
		expect(handle.server.listening).toBe(false);
		expect(process.listenerCount('SIGTERM')).toBe(signalListeners);
	});

	it('leaves uploads and audio to SvelteKit with SQUELCH_HOT_ROUTES=off or a Kit-only option', async () => {
		const envs: Array<Record<string, string>> = [
			{ SQUELCH_HOT_ROUTES: 'off' },
			{ BODY_SIZE_LIMIT: '1M' }
		];
		for (const env of envs) {
			const { base } = await serve(env);
			expect(await get(`${base}/api/call-upload`)).toEqual({
				status: 200,
				body: 'kit: GET /api/call-upload'
			});
			expect((await get(`${base}/api/calls/1/audio`)).body).toBe('kit: GET /api/calls/1/audio');
		}
	});

	it('keeps the headers timeout within the request timeout', async () => {
		const { handle } = await serve({
			SQUELCH_REQUEST_TIMEOUT: '20',
			SQUELCH_HEADERS_TIMEOUT: '600'
		});
		expect(handle.server.headersTimeout).toBe(20_000);
	});
});

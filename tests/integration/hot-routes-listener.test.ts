import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { trunkRecorderForm } from '../../src/lib/server/calls/recorder-forms';
import { testServices } from '../../src/lib/server/testing';
import { createApiKey } from '../../src/lib/server/calls/upload-keys';
import { insertUser } from '../../src/lib/server/auth/accounts';
import { createSession } from '../../src/lib/server/auth/sessions';
import { signAccessToken } from '../../src/lib/server/auth/access-token';
import { filesUnder } from '../../src/lib/server/calls/test-support';
import { attachHotRoutes } from '../../src/lib/server/http/hot-routes';

const wav = fs.readFileSync(
	path.resolve(import.meta.dirname, '../fixtures/audio/12345-1718145678_851012500-call_17.wav')
);

const closers: Array<() => unknown> = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close();
});

/**
 * A bare http.Server laid out as adapter-node lays it out — SvelteKit's listener first, its
 * request counter after — with the hot routes attached in front of Kit's listener.
 */
async function setup(env: Record<string, string> = {}) {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-hot-'));
	const svc = await testServices({ DATA_DIR: dataDir, ...env });
	const server = http.createServer();
	const toKit: string[] = [];
	const kit: http.RequestListener = (req, res) => {
		toKit.push(`${req.method} ${req.url}`);
		res.end('from kit');
	};
	const counted: string[] = [];
	/** Whether the latest response has emitted 'finish' (its last byte handed to the OS). */
	let lastFinished = false;
	server.on('request', kit);
	server.on('request', (req, res) => {
		counted.push(`${req.method} ${req.url}`);
		lastFinished = false;
		res.once('finish', () => (lastFinished = true));
	});
	const detach = attachHotRoutes(server, kit, svc);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	closers.push(
		() => new Promise((resolve) => server.close(resolve)),
		() => server.closeAllConnections()
	);
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const { key } = await createApiKey(svc, { name: 'spec' });
	const userId = await insertUser(svc, {
		username: 'ada',
		password: 'ada-password-1',
		role: 'admin'
	});
	const { session } = await createSession(svc, userId, {
		userAgent: 'spec',
		ip: '127.0.0.1',
		rememberMe: false
	});
	const { token } = await signAccessToken(svc, {
		userId,
		username: 'ada',
		role: 'admin',
		sessionId: session.id
	});

	const upload = (
		dateTime: number,
		opts: { key?: string; headers?: Record<string, string> } = {}
	) => {
		const form = trunkRecorderForm({
			key: opts.key ?? key,
			audio: wav,
			audioName: 'a.wav',
			audioType: 'audio/wav',
			dateTime,
			system: 1,
			systemLabel: 's',
			talkgroup: 2
		});
		return fetch(`${base}//api/call-upload`, {
			method: 'POST',
			body: new Uint8Array(form.body),
			headers: { 'content-type': form.contentType, ...opts.headers }
		});
	};
	return { svc, base, toKit, counted, detach, upload, token, lastFinished: () => lastFinished };
}

async function eventually<T>(read: () => Promise<T> | T, ok: (value: T) => boolean): Promise<T> {
	for (let i = 0; i < 100; i++) {
		const value = await read();
		if (ok(value)) return value;
		await new Promise((r) => setTimeout(r, 20));
	}
	throw new Error('condition not reached');
}

describe('attachHotRoutes', () => {
	it('answers uploads and audio itself and hands every other request to SvelteKit unchanged', async () => {
		const { base, toKit, counted, upload, token } = await setup();
		const stored = await upload(1718145678);
		expect(stored.status).toBe(200);
		expect(await stored.text()).toBe('Call imported successfully.');
		expect(stored.headers.get('x-content-type-options')).toBe('nosniff');
		expect(stored.headers.get('permissions-policy')).toBe(
			'camera=(), microphone=(), geolocation=()'
		);

		const audio = await fetch(`${base}/api/calls/1/audio`, {
			headers: { authorization: `Bearer ${token}` }
		});
		expect(audio.status).toBe(200);
		expect(Buffer.from(await audio.arrayBuffer()).equals(wav)).toBe(true);
		expect(audio.headers.get('x-frame-options')).toBe('DENY');
		const byCookie = await fetch(`${base}/api/calls/1/audio`, {
			headers: { cookie: `other=1; squelch_at=${token}`, range: 'bytes=0-3' }
		});
		expect(byCookie.status).toBe(206);
		expect(await byCookie.text()).toBe('RIFF');
		expect((await fetch(`${base}/api/calls/1/audio`)).status).toBe(401);
		expect(toKit).toEqual([]);

		for (const [method, target] of [
			['GET', '/api/health'],
			['GET', '/api/calls/1/audiox'],
			['POST', '/api/calls/1/audio'],
			['GET', '/api/calls/1/audio/']
		]) {
			const res = await fetch(base + target, { method, redirect: 'manual' });
			expect(await res.text()).toBe('from kit');
		}
		expect(toKit).toEqual([
			'GET /api/health',
			'GET /api/calls/1/audiox',
			'POST /api/calls/1/audio',
			'GET /api/calls/1/audio/'
		]);
		// adapter-node's own request counter, after Kit's listener, still sees every request.
		expect(counted).toHaveLength(8);
	});

	it('publishes a stored call only once its reply has been handed to the OS', async () => {
		const { svc, upload, lastFinished } = await setup();
		const finishedWhenPublished: boolean[] = [];
		svc.bus.subscribe('call.ingested', () => finishedWhenPublished.push(lastFinished()));
		for (let i = 0; i < 5; i++)
			expect(await (await upload(1718145678 + i * 100)).text()).toBe('Call imported successfully.');
		await eventually(
			() => finishedWhenPublished.length,
			(n) => n === 5
		);
		expect(finishedWhenPublished).toEqual([true, true, true, true, true]);
		const logged = await eventually(
			() =>
				svc.db.selectFrom('events').select('type').where('type', '=', 'call.ingested').execute(),
			(rows) => rows.length === 5
		);
		expect(logged).toHaveLength(5);
	});

	it('takes the client IP as hooks.server.ts does: the socket, or X-Forwarded-For only behind a trusted proxy', async () => {
		for (const [env, expected] of [
			[{}, '127.0.0.1'],
			[{ SQUELCH_TRUST_PROXY: '1' }, '203.0.113.9']
		] as const) {
			const { svc, upload } = await setup(env);
			const res = await upload(1718145678, {
				key: 'sq_wrong',
				headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }
			});
			expect(await res.text()).toBe('Invalid API key for system 1 talkgroup 2.');
			const [event] = await eventually(
				() =>
					svc.db
						.selectFrom('events')
						.select('data')
						.where('type', '=', 'upload.rejected')
						.execute(),
				(rows) => rows.length === 1
			);
			expect(JSON.parse(event.data).ip).toBe(expected);
		}
	});

	it('survives a failing database: audio is left to SvelteKit, an upload answers the 500 retry text', async () => {
		const { svc, base, toKit, upload, token } = await setup();
		await svc.db.destroy();
		const errors: string[] = [];
		const original = console.error;
		console.error = (...args: unknown[]) => void errors.push(args.join(' '));
		try {
			const audio = await fetch(`${base}/api/calls/1/audio`, {
				headers: { authorization: `Bearer ${token}` }
			});
			expect(await audio.text()).toBe('from kit');
			expect(toKit).toEqual(['GET /api/calls/1/audio']);
			const failed = await upload(1718145678);
			expect(failed.status).toBe(500);
			expect(await failed.text()).toBe('Server error: the call was not stored; try again later.');
			expect(failed.headers.get('x-content-type-options')).toBe('nosniff');
		} finally {
			console.error = original;
		}
		expect(errors.length).toBeGreaterThanOrEqual(2);
		expect(errors.join('\n')).not.toContain(token);
		expect(filesUnder(svc.config.dataDir)).toEqual([]); // no temp file, no recording
	});

	it('detaches, giving the requests back to SvelteKit', async () => {
		const { detach, upload, toKit } = await setup();
		detach();
		expect(await (await upload(1718145678)).text()).toBe('from kit');
		expect(toKit).toEqual(['POST //api/call-upload']);
	});
});

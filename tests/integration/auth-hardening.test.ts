import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import superjson from 'superjson';
import { startServer, type TestServer } from '../helpers/server';
import { createAndSignIn, errorCode, signInAdmin, trpc, type Client } from '../helpers/client';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';

/** Regression tests for issue 11 (auth part): each failed against the code before the fix. */

let server: TestServer;
let admin: Client;

beforeAll(async () => {
	server = await startServer();
	({ client: admin } = await signInAdmin(server.url));
});
afterAll(() => server?.stop());

/** A raw tRPC HTTP call, as an attacker would send it (no client library shaping it). */
async function rawCall(
	path: string,
	init: { method?: string; body?: BodyInit; contentType?: string; search?: string } = {}
) {
	const res = await fetch(`${server.url}/api/trpc/${path}${init.search ?? ''}`, {
		method: init.method ?? 'POST',
		body: init.body,
		headers: init.contentType ? { 'content-type': init.contentType } : {}
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** The tRPC error codes of a batched reply (one per call, or one for the whole batch). */
function batchCodes(json: unknown): string[] {
	const items = Array.isArray(json) ? json : [json];
	return items.map((item) => item.error?.json?.data?.code ?? 'OK');
}

describe('login throttle', () => {
	it('40 parallel logins for one user get exactly 5 password checks; the right password after them is refused', async () => {
		// A server of its own on a frozen clock (SQUELCH_TEST_CLOCK_FILE): the counters are in the
		// database now, and on a busy machine the 40 may take longer than the first 1 s delay.
		const clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-clock-')), 'now');
		fs.writeFileSync(clockFile, String(Date.now()));
		const frozen = await startServer({ env: { SQUELCH_TEST_CLOCK_FILE: clockFile } });
		try {
			const { client: frozenAdmin } = await signInAdmin(frozen.url);
			await frozenAdmin.admin.users.create.mutate({
				username: 'parallel',
				password: 'parallel-password',
				role: 'listener'
			});
			const anon = trpc(frozen.url);
			const codes = await Promise.all(
				Array.from({ length: 40 }, (_, i) =>
					errorCode(anon.auth.login.mutate({ username: 'parallel', password: `guess-${i}-xx` }))
				)
			);
			// UNAUTHORIZED means the password was checked; TOO_MANY_REQUESTS means it never was.
			expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(5);
			expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(35);
			expect(
				await errorCode(
					anon.auth.login.mutate({ username: 'parallel', password: 'parallel-password' })
				)
			).toBe('TOO_MANY_REQUESTS');
		} finally {
			await frozen.stop();
		}
	});
});

describe('batching on /api/trpc', () => {
	it('refuses a batch holding any auth.* call before anything runs: the right password in it signs no one in', async () => {
		await admin.admin.users.create.mutate({
			username: 'batched',
			password: 'batched-password',
			role: 'listener'
		});
		const inputs = ['guess-one-xx', 'guess-two-xx', 'batched-password'].map((password) =>
			superjson.serialize({ username: 'batched', password })
		);
		const reply = await rawCall('auth.login,auth.login,auth.login', {
			search: '?batch=1',
			contentType: 'application/json',
			body: JSON.stringify({ 0: inputs[0], 1: inputs[1], 2: inputs[2] })
		});
		expect(reply.status).toBe(400);
		expect(new Set(batchCodes(reply.json))).toEqual(new Set(['BAD_REQUEST']));
		const first = Array.isArray(reply.json) ? reply.json[0] : reply.json;
		expect(first.error.json.message).toMatch(/^batch: .*auth\./);
		const users = await admin.admin.users.list.query();
		expect(users.find((u) => u.username === 'batched')?.activeSessions).toBe(0);
		// Nothing was counted either: the five free attempts are still there.
		expect(
			await errorCode(trpc(server.url).auth.login.mutate({ username: 'batched', password: 'x' }))
		).toBe('UNAUTHORIZED');
	});

	it('refuses more than SQUELCH_TRPC_MAX_BATCH calls in one request, and allows a small batch', async () => {
		const input = encodeURIComponent(JSON.stringify({}));
		const many = await rawCall(Array(11).fill('setup.status').join(','), {
			method: 'GET',
			search: `?batch=1&input=${input}`
		});
		expect(many.status).toBe(400);
		// Refused before any call runs: each of the eleven answers BAD_REQUEST.
		expect(batchCodes(many.json)).toEqual(Array(11).fill('BAD_REQUEST'));
		const error = Array.isArray(many.json) ? many.json[0].error : many.json.error;
		expect(error.json.message).toMatch(/^batch: at most 10 calls/);

		const few = await rawCall(Array(10).fill('setup.status').join(','), {
			method: 'GET',
			search: `?batch=1&input=${input}`
		});
		expect(few.status).toBe(200);
		expect(batchCodes(few.json)).toEqual(Array(10).fill('OK'));
	});
});

describe('content types on mutations', () => {
	it.each([
		[
			'multipart/form-data; boundary=x',
			'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'
		],
		['application/x-www-form-urlencoded', 'a=1'],
		['text/plain', '{}']
	])('refuses %s with 415 and a tRPC error', async (contentType, body) => {
		for (const path of ['auth.refresh', 'auth.logout', 'setup.createAdmin']) {
			const reply = await rawCall(path, { contentType, body });
			expect(reply.status, `${path} ${contentType}`).toBe(415);
			expect(reply.json.error.json.data.code).toBe('UNSUPPORTED_MEDIA_TYPE');
			expect(reply.json.error.json.message).toMatch(/content-type/);
		}
	});
});

describe('refresh token reuse', () => {
	it('a thief who refreshed twice is caught when the victim presents the old token; both lose the session', async () => {
		const { id, password } = await createAndSignIn(server.url, admin, 'victim2');
		const anon = trpc(server.url);
		const victim = await anon.auth.login.mutate({
			username: 'victim2',
			password,
			refreshTokenInBody: true
		});
		const stolen = victim.refreshToken!;
		const thief1 = await anon.auth.refresh.mutate({ refreshToken: stolen });
		const thief2 = await anon.auth.refresh.mutate({ refreshToken: thief1.refreshToken });

		const refused = await anon.auth.refresh.mutate({ refreshToken: stolen }).catch((e) => e);
		expect(refused.data.code).toBe('UNAUTHORIZED');
		expect(refused.data.revokeReason).toBe('reuse');

		const thiefAfter = await anon.auth.refresh
			.mutate({ refreshToken: thief2.refreshToken })
			.catch((e) => e);
		expect(thiefAfter.data.revokeReason).toBe('reuse');
		expect(await errorCode(trpc(server.url, { token: thief2.accessToken }).auth.me.query())).toBe(
			'UNAUTHORIZED'
		);
		const devices = await admin.admin.users.list.query();
		// The device signed in by createAndSignIn is untouched; only the stolen family ended.
		expect(devices.find((u) => u.id === id)?.activeSessions).toBe(1);
	});
});

describe('session cap', () => {
	it('a device pushed out by the cap is told the maxSessions setting in force, not the environment default', async () => {
		await admin.admin.settings.update.mutate({ maxSessions: 2 });
		try {
			const { password } = await createAndSignIn(server.url, admin, 'capped');
			const anon = trpc(server.url);
			const oldest = await anon.auth.login.mutate({
				username: 'capped',
				password,
				refreshTokenInBody: true
			});
			for (let i = 0; i < 2; i++) await anon.auth.login.mutate({ username: 'capped', password });
			const refused = await anon.auth.refresh
				.mutate({ refreshToken: oldest.refreshToken })
				.catch((e) => e);
			expect(refused.data.revokeReason).toBe('cap');
			expect(refused.data.maxSessions).toBe('2');
		} finally {
			await admin.admin.settings.update.mutate({ maxSessions: null });
		}
	});
});

describe('last admin', () => {
	it('two admins cannot give each other an expiry: the second is refused', async () => {
		const other = await createAndSignIn(server.url, admin, 'second-admin', 'admin');
		const me = await admin.auth.me.query();
		const soon = new Date(Date.now() + 3600_000);
		await admin.admin.users.update.mutate({ id: other.id, expiresAt: soon });
		const refused = await other.client.admin.users.update
			.mutate({ id: me.id, expiresAt: soon })
			.catch((e) => e);
		expect(refused.data.code).toBe('CONFLICT');
		expect(refused.message).toMatch(/last active admin/);
		const users = await admin.admin.users.list.query();
		expect(users.find((u) => u.id === me.id)?.expiresAt).toBeNull();
		await admin.admin.users.update.mutate({ id: other.id, expiresAt: null });
	});
});

describe('pages', () => {
	it('carry a Content-Security-Policy that allows only same-origin scripts', async () => {
		const res = await fetch(`${server.url}/login`);
		expect(res.status).toBe(200);
		const csp = res.headers.get('content-security-policy') ?? '';
		expect(csp).toMatch(/script-src 'self'/);
		expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
		expect(csp).toMatch(/object-src 'none'/);
		expect(csp).toMatch(/frame-ancestors 'none'/);
	});
});

describe('password hashing queue', () => {
	it('150 logins in flight leave audio requests answered; checks beyond the queue are refused', async () => {
		const own = await startServer({ env: { SQUELCH_TRUST_PROXY: '1' } });
		try {
			const { client, token } = await signInAdmin(own.url);
			const { key } = await client.admin.apiKeys.create.mutate({ name: 'queue test' });
			const form = trunkRecorderForm({
				key,
				audio: fixture(WAV),
				audioName: WAV,
				audioType: 'audio/wav',
				dateTime: 1718145678,
				system: 1,
				systemLabel: 'sys 1',
				talkgroup: 10
			});
			expect((await post(`${own.url}/api/call-upload`, form)).status).toBe(200);
			const [call] = (await client.calls.search.query({ limit: 1 })).items;

			let checkAnswered!: () => void;
			const firstCheck = new Promise<void>((resolve) => (checkAnswered = resolve));
			// Each login comes from its own address and username, so the throttle lets all through.
			const logins = Array.from({ length: 150 }, (_, i) =>
				errorCode(
					trpc(own.url, {
						headers: { 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` }
					}).auth.login.mutate({ username: `nobody-${i}`, password: 'password-guess' })
				).then((code) => {
					if (code === 'UNAUTHORIZED') checkAnswered();
					return code;
				})
			);
			// By the time a first check answers, the logins are waiting on the server.
			await firstCheck;
			const audio = Array.from({ length: 10 }, () =>
				fetch(own.url + call.audioUrl, { headers: { authorization: `Bearer ${token}` } }).then(
					async (res) => {
						await res.arrayBuffer();
						return res.status;
					}
				)
			);
			const [loginCodes, audioCodes] = await Promise.all([Promise.all(logins), Promise.all(audio)]);
			// Audio requests sent while checks were waiting were all served.
			expect(audioCodes).toEqual(Array(10).fill(200));
			const checked = loginCodes.filter((c) => c === 'UNAUTHORIZED').length;
			const busy = loginCodes.filter((c) => c === 'TOO_MANY_REQUESTS').length;
			expect(checked + busy).toBe(150);
			// Checks ran one at a time (SQUELCH_HASH_CONCURRENCY=1), leaving the other thread-pool
			// threads to file reads; past the waiting line logins were told "busy". (Without the
			// queue all 150 went to the pool at once and the audio waited behind 99 of them.)
			expect(busy).toBeGreaterThan(0);
			expect(checked).toBeGreaterThan(1);
			const { passwordChecks } = await client.admin.stats.dashboard.query();
			expect(passwordChecks).toEqual({ peakRunning: 1, refusedBusy: busy });
		} finally {
			await own.stop();
		}
	});
});

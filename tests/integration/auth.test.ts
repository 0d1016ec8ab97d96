import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, runServerExpectingExit, type TestServer } from '../helpers/server';
import { ADMIN, cookieFetch, errorCode, signInAdmin, trpc, type Client } from '../helpers/client';

const PHONE_UA =
	'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36';
const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

let server: TestServer;
let admin: Client;

beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_REFRESH_GRACE: '2' } });
	({ client: admin } = await signInAdmin(server.url));
	await admin.admin.users.create.mutate({
		username: 'lee',
		password: 'lee-password-1',
		role: 'listener'
	});
});
afterAll(() => server?.stop());

/** A browser-like client: cookie jar, no bearer token until it signs in. */
function browser(userAgent = FIREFOX_UA) {
	const fetch = cookieFetch(undefined, { 'user-agent': userAgent });
	let token: string | null = null;
	const client = trpc(server.url, { fetch, token: () => token });
	return {
		fetch,
		client,
		async login(username = 'lee', password = 'lee-password-1', rememberMe = true) {
			const result = await client.auth.login.mutate({ username, password, rememberMe });
			token = result.accessToken;
			return result;
		},
		async refresh() {
			const result = await client.auth.refresh.mutate();
			token = result.accessToken;
			return result;
		},
		setToken: (t: string | null) => (token = t)
	};
}

describe('setup', () => {
	it('two racing createAdmin calls on a fresh server create exactly one admin', async () => {
		const fresh = await startServer();
		try {
			const anon = trpc(fresh.url);
			expect(await anon.setup.status.query()).toEqual({ needsSetup: true });
			const results = await Promise.allSettled([
				anon.setup.createAdmin.mutate({ username: 'first', password: 'password-first' }),
				anon.setup.createAdmin.mutate({ username: 'second', password: 'password-second' })
			]);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			expect(
				await errorCode(
					anon.setup.createAdmin.mutate({ username: 'third', password: 'password-third' })
				)
			).toBe('FORBIDDEN');
			expect(await anon.setup.status.query()).toEqual({ needsSetup: false });
			// Pages lead to /setup only while it is needed.
			const page = await fetch(`${fresh.url}/setup`, { redirect: 'manual' });
			expect(page.status).toBe(303);
			expect(page.headers.get('location')).toBe('/login');
		} finally {
			await fresh.stop();
		}
	});

	it('a fresh server sends every page to /setup', async () => {
		const fresh = await startServer();
		try {
			const page = await fetch(`${fresh.url}/account`, { redirect: 'manual' });
			expect(page.status).toBe(303);
			expect(page.headers.get('location')).toBe('/setup');
		} finally {
			await fresh.stop();
		}
	});
});

describe('login', () => {
	it('answers the same UNAUTHORIZED for an unknown user and a wrong password', async () => {
		const anon = trpc(server.url, { headers: { 'x-forwarded-for': '1.1.1.1' } });
		for (const attempt of [
			{ username: 'nobody', password: 'whatever-123' },
			{ username: 'lee', password: 'wrong-password' }
		]) {
			const err = await anon.auth.login.mutate(attempt).catch((e) => e);
			expect(err.data.code).toBe('UNAUTHORIZED');
			expect(err.message).toBe('invalid username or password');
		}
	});

	it('bad input is BAD_REQUEST naming the field', async () => {
		const anon = trpc(server.url);
		const err = await anon.auth.login.mutate({ username: '', password: 'x' }).catch((e) => e);
		expect(err.data.code).toBe('BAD_REQUEST');
		expect(err.message).toMatch(/^username: /);
		const short = await admin.admin.users.create
			.mutate({ username: 'sam', password: 'short', role: 'listener' })
			.catch((e) => e);
		expect(short.data.code).toBe('BAD_REQUEST');
		expect(short.message).toBe('password: must be at least 8 characters');
		const role = await admin.admin.users.create
			.mutate({ username: 'sam', password: 'long-enough', role: 'root' as 'admin' })
			.catch((e) => e);
		expect(role.message).toMatch(/^role: /);
	});

	it('throttles repeated failures for a username with TOO_MANY_REQUESTS and the seconds to wait', async () => {
		await admin.admin.users.create.mutate({
			username: 'victim',
			password: 'victim-password',
			role: 'listener'
		});
		const anon = trpc(server.url);
		const codes: string[] = [];
		for (let i = 0; i < 7; i++)
			codes.push(
				await errorCode(anon.auth.login.mutate({ username: 'victim', password: `guess-${i}-xx` }))
			);
		expect(codes.slice(0, 5)).toEqual(Array(5).fill('UNAUTHORIZED'));
		expect(codes[6]).toBe('TOO_MANY_REQUESTS');
		const err = await anon.auth.login
			.mutate({ username: 'victim', password: 'victim-password' })
			.catch((e) => e);
		expect(err.data.code).toBe('TOO_MANY_REQUESTS');
		expect(err.data.retryAfterSec).toBeGreaterThan(0);
		expect(err.message).toMatch(/try again in \d+ seconds?/);
	});

	it('throttles one client IP across many usernames (socket address, X-Forwarded-For ignored)', async () => {
		const own = await startServer();
		try {
			const codes: string[] = [];
			for (let i = 0; i < 24; i++) {
				// A forged X-Forwarded-For must not give a fresh allowance: the proxy is not trusted.
				const anon = trpc(own.url, { headers: { 'x-forwarded-for': `9.9.9.${i}` } });
				codes.push(
					await errorCode(
						anon.auth.login.mutate({ username: `spray-${i}`, password: 'password-x' })
					)
				);
			}
			expect(codes.slice(0, 20)).toEqual(Array(20).fill('UNAUTHORIZED'));
			expect(codes.slice(21)).toEqual(Array(3).fill('TOO_MANY_REQUESTS'));
		} finally {
			await own.stop();
		}
	});

	it('with SQUELCH_TRUST_PROXY the client IP comes from X-Forwarded-For', async () => {
		const own = await startServer({ env: { SQUELCH_TRUST_PROXY: '1' } });
		try {
			const codes: string[] = [];
			for (let i = 0; i < 24; i++) {
				const anon = trpc(own.url, { headers: { 'x-forwarded-for': `9.9.9.${i}` } });
				codes.push(
					await errorCode(
						anon.auth.login.mutate({ username: `spray-${i}`, password: 'password-x' })
					)
				);
			}
			expect(codes).toEqual(Array(24).fill('UNAUTHORIZED'));
		} finally {
			await own.stop();
		}
	});
});

describe('cookies and sessions', () => {
	it('delivers the refresh cookie only to auth.refresh and the access cookie to /api/calls', async () => {
		const b = browser();
		await b.login();
		const jar = b.fetch.jar;
		expect(await jar.getCookieString(`${server.url}/api/trpc/auth.refresh`)).toMatch(/squelch_rt=/);
		expect(await jar.getCookieString(`${server.url}/api/trpc/auth.me`)).not.toMatch(/squelch_rt=/);
		expect(await jar.getCookieString(`${server.url}/api/calls/1/audio`)).toMatch(/squelch_at=/);
		// At / only the script-readable hint that a sign-in exists; no token.
		expect(await jar.getCookieString(`${server.url}/`)).toBe('squelch_signed_in=1');
		const cookies = await jar.getCookies(`${server.url}/api/trpc/auth.refresh`);
		expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'strict' });
		// Refresh through the jar alone (no token in the body) works and rotates the cookie.
		const before = cookies[0].value;
		const refreshed = await b.refresh();
		expect(refreshed.refreshToken).toBeUndefined();
		expect((await jar.getCookies(`${server.url}/api/trpc/auth.refresh`))[0].value).not.toBe(before);
		expect(await b.client.auth.me.query()).toMatchObject({ username: 'lee', role: 'listener' });
	});

	it('rememberMe: false keeps a browser-session cookie across refreshes', async () => {
		const b = browser();
		await b.login('lee', 'lee-password-1', false);
		const cookie = async () =>
			(await b.fetch.jar.getCookies(`${server.url}/api/trpc/auth.refresh`))[0];
		// TTL() is Infinity for a browser-session cookie (no Max-Age, no Expires).
		expect((await cookie()).TTL()).toBe(Infinity);
		await b.refresh();
		expect((await cookie()).TTL()).toBe(Infinity);
		const remembered = browser();
		await remembered.login();
		const kept = (await remembered.fetch.jar.getCookies(`${server.url}/api/trpc/auth.refresh`))[0];
		expect(kept.TTL()).toBeGreaterThan(29 * 86_400_000);
	});

	it('lists devices with readable names, revokes one, and that device is refused at once', async () => {
		const desktop = browser(FIREFOX_UA);
		const phone = browser(PHONE_UA);
		await desktop.login();
		const phoneAuth = await phone.login();
		const list = await desktop.client.sessions.list.query();
		const phoneEntry = list.find((s) => s.id === phoneAuth.session.id);
		expect(phoneEntry).toMatchObject({ device: 'Chrome on Android', current: false });
		expect(list.filter((s) => s.current)).toHaveLength(1);
		expect(list.find((s) => s.current)?.device).toBe('Firefox on Linux');

		await desktop.client.sessions.revoke.mutate({ id: phoneAuth.session.id });
		expect(await errorCode(phone.client.auth.me.query())).toBe('UNAUTHORIZED');
		const refused = await phone.client.auth.refresh.mutate().catch((e) => e);
		expect(refused.data.code).toBe('UNAUTHORIZED');
		expect(refused.data.revokeReason).toBe('logout');
		expect(await desktop.client.auth.me.query()).toMatchObject({ username: 'lee' });
	});

	it("cannot revoke another user's session", async () => {
		const b = browser();
		await b.login();
		const adminSessions = await admin.sessions.list.query();
		expect(await errorCode(b.client.sessions.revoke.mutate({ id: adminSessions[0].id }))).toBe(
			'NOT_FOUND'
		);
		expect(await admin.auth.me.query()).toMatchObject({ username: ADMIN.username });
	});

	it('logout ends the session and clears both cookies', async () => {
		const b = browser();
		await b.login();
		await b.client.auth.logout.mutate();
		expect(await b.fetch.jar.getCookieString(`${server.url}/api/trpc/auth.refresh`)).toBe('');
		expect(await b.fetch.jar.getCookieString(`${server.url}/api/calls/1/audio`)).toBe('');
		expect(await b.fetch.jar.getCookieString(`${server.url}/`)).toBe('');
		expect(await errorCode(b.client.auth.me.query())).toBe('UNAUTHORIZED');
	});

	it('changing the password keeps this device and signs out the others', async () => {
		await admin.admin.users.create.mutate({
			username: 'pat',
			password: 'pat-password-1',
			role: 'listener'
		});
		const a = browser();
		const b = browser(PHONE_UA);
		await a.login('pat', 'pat-password-1');
		await b.login('pat', 'pat-password-1');
		const wrong = await a.client.auth.changePassword
			.mutate({ currentPassword: 'nope-nope', newPassword: 'pat-password-2' })
			.catch((e) => e);
		expect(wrong.data.code).toBe('BAD_REQUEST');
		expect(wrong.message).toMatch(/^currentPassword: /);
		await a.client.auth.changePassword.mutate({
			currentPassword: 'pat-password-1',
			newPassword: 'pat-password-2'
		});
		expect(await a.client.auth.me.query()).toMatchObject({ username: 'pat' });
		expect(await errorCode(b.client.auth.me.query())).toBe('UNAUTHORIZED');
		expect((await b.client.auth.refresh.mutate().catch((e) => e)).data.revokeReason).toBe(
			'password'
		);
		expect(
			await errorCode(
				trpc(server.url).auth.login.mutate({ username: 'pat', password: 'pat-password-1' })
			)
		).toBe('UNAUTHORIZED');
	});

	it('the 21st login revokes the least recently used device; the other 20 are untouched', async () => {
		await admin.admin.users.create.mutate({
			username: 'many',
			password: 'many-password',
			role: 'listener'
		});
		const devices = [];
		for (let i = 0; i < 20; i++) {
			const b = browser();
			await b.login('many', 'many-password');
			devices.push(b);
		}
		// Device 0 refreshes, so device 1 becomes the least recently used.
		await devices[0].refresh();
		const newest = browser(PHONE_UA);
		await newest.login('many', 'many-password');

		expect(await errorCode(devices[1].client.auth.me.query())).toBe('UNAUTHORIZED');
		const refused = await devices[1].client.auth.refresh.mutate().catch((e) => e);
		expect(refused.data.revokeReason).toBe('cap');
		for (const [i, b] of devices.entries()) {
			if (i === 1) continue;
			expect(await b.client.auth.me.query()).toMatchObject({ username: 'many' });
			await b.refresh();
		}
		expect(await newest.client.sessions.list.query()).toHaveLength(20);
	});
});

describe('refresh rotation over HTTP', () => {
	it('two refreshes racing with one cookie both succeed; the old token after the grace window revokes the session', async () => {
		const b = browser();
		const { session } = await b.login();
		const cookieHeader = await b.fetch.jar.getCookieString(`${server.url}/api/trpc/auth.refresh`);
		const raw = (headers: Record<string, string>) => trpc(server.url, { headers });
		const [one, two] = await Promise.all([
			raw({ cookie: cookieHeader }).auth.refresh.mutate(),
			raw({ cookie: cookieHeader }).auth.refresh.mutate()
		]);
		expect(one.session.id).toBe(session.id);
		expect(two.session.id).toBe(session.id);
		expect(await trpc(server.url, { token: one.accessToken }).auth.me.query()).toMatchObject({
			username: 'lee'
		});

		await new Promise((r) => setTimeout(r, 2500)); // SQUELCH_REFRESH_GRACE=2 on this server
		const reused = await raw({ cookie: cookieHeader })
			.auth.refresh.mutate()
			.catch((e) => e);
		expect(reused.data.code).toBe('UNAUTHORIZED');
		expect(reused.data.revokeReason).toBe('reuse');
		// A token issued before the revocation is refused too.
		expect(await errorCode(trpc(server.url, { token: one.accessToken }).auth.me.query())).toBe(
			'UNAUTHORIZED'
		);
	});

	it('clients without a cookie jar use refreshTokenInBody', async () => {
		const anon = trpc(server.url);
		const login = await anon.auth.login.mutate({
			username: 'lee',
			password: 'lee-password-1',
			refreshTokenInBody: true
		});
		expect(login.refreshToken).toMatch(/^[\w-]{40,}$/);
		const next = await anon.auth.refresh.mutate({ refreshToken: login.refreshToken });
		expect(next.refreshToken).toBeDefined();
		expect(next.refreshToken).not.toBe(login.refreshToken);
		expect(next.accessTokenExpiresAt).toBeGreaterThan(Date.now());
		expect(await errorCode(anon.auth.refresh.mutate({ refreshToken: 'not-a-token' }))).toBe(
			'UNAUTHORIZED'
		);
	});
});

describe('restart', () => {
	it('tokens issued before a restart still work; revoked ones stay revoked', async () => {
		const own = await startServer();
		try {
			const { client: adminClient } = await signInAdmin(own.url);
			await adminClient.admin.users.create.mutate({
				username: 'kim',
				password: 'kim-password',
				role: 'listener'
			});
			const anon = trpc(own.url);
			const live = await anon.auth.login.mutate({
				username: 'kim',
				password: 'kim-password',
				refreshTokenInBody: true
			});
			const dead = await anon.auth.login.mutate({
				username: 'kim',
				password: 'kim-password',
				refreshTokenInBody: true
			});
			await trpc(own.url, { token: dead.accessToken }).auth.logout.mutate();

			await own.restart();

			expect(await trpc(own.url, { token: live.accessToken }).auth.me.query()).toMatchObject({
				username: 'kim'
			});
			expect((await anon.auth.refresh.mutate({ refreshToken: live.refreshToken })).session.id).toBe(
				live.session.id
			);
			expect(await errorCode(trpc(own.url, { token: dead.accessToken }).auth.me.query())).toBe(
				'UNAUTHORIZED'
			);
			expect(await errorCode(anon.auth.refresh.mutate({ refreshToken: dead.refreshToken! }))).toBe(
				'UNAUTHORIZED'
			);
		} finally {
			await own.stop();
		}
	});
});

describe('configuration', () => {
	it.each([
		['SQUELCH_ACCESS_TTL', 'ten'],
		['SQUELCH_MAX_SESSIONS', '0'],
		['PORT', '70000'],
		['ORIGIN', 'not a url']
	])('a malformed %s stops start-up naming the variable', async (name, value) => {
		const { code, output } = await runServerExpectingExit({ [name]: value });
		expect(code).not.toBe(0);
		expect(output).toContain(`${name}:`);
	});

	it('refuses a tRPC body over 1 MiB with 413, with or without Content-Length', async () => {
		const big = Buffer.from(
			JSON.stringify({ json: { username: 'x'.repeat(2 * 1024 * 1024), password: 'y' } })
		);
		// The server answers before reading the whole body, so the client may see its write cut off
		// after the response: take the status from the response event.
		const post = (chunked: boolean) =>
			new Promise<number>((resolve, reject) => {
				const req = http.request(`${server.url}/api/trpc/auth.login`, {
					method: 'POST',
					headers: {
						'content-type': 'application/json',
						...(chunked ? {} : { 'content-length': String(big.length) })
					}
				});
				req.on('response', (res) => {
					res.resume();
					resolve(res.statusCode ?? 0);
				});
				req.on('error', reject);
				req.end(big);
			});
		expect(await post(false)).toBe(413);
		// Chunked: the body is cut off at the limit, which ends the request (a 4xx or a reset), never a 200.
		const chunked = await post(true).catch((err: NodeJS.ErrnoException) => err.code);
		expect(
			typeof chunked === 'number' ? chunked >= 400 : chunked === 'ECONNRESET' || chunked === 'EPIPE'
		).toBe(true);
		expect(await (await fetch(`${server.url}/api/health`)).json()).toMatchObject({ status: 'ok' });
	});

	it('GET /api/health answers ok', async () => {
		const res = await fetch(`${server.url}/api/health`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ status: 'ok' });
	});
});

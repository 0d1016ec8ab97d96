import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { testDatabase } from '../../src/lib/server/core/config';
import { createPgDatabase, PG_TEMPLATE } from '../../src/lib/server/core/db/test-db';
import { startServer, type TestServer } from '../helpers/server';
import { refreshingDevice, signInAdmin, trpc } from '../helpers/client';
import { followCalls, storedCallIds, uploadCountyCall } from '../helpers/live-calls';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A } from '../helpers/recorders';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy';

// Two production servers on one PostgreSQL and one RECORDINGS_DIR, behind a round-robin proxy
// with no stickiness (docs/scaling.md). PostgreSQL only: *.pg.test.ts run under npm run test:pg.

const TOKEN_TTL_SEC = 4;
let a: TestServer;
let b: TestServer;
let proxy: RoundRobinProxy;
const cleanups: Array<() => unknown> = [];

const follow = (client: ReturnType<typeof liveClient>['client']) =>
	followCalls(client, (fn) => cleanups.push(fn));
const storedIds = storedCallIds;

/** Two servers on a fresh database and one shared recordings folder, and the proxy in front. */
async function startPair(extraEnv: Record<string, string> = {}) {
	const target = testDatabase();
	if (target.kind !== 'postgres') throw new Error('run with SQUELCH_TEST_DB=postgres');
	const env = {
		DATABASE_URL: await createPgDatabase(target.adminUrl, PG_TEMPLATE),
		RECORDINGS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-shared-recordings-')),
		...extraEnv
	};
	const [first, second] = await Promise.all([startServer({ env }), startServer({ env })]);
	const rr = await startRoundRobinProxy(() => [first.url, second.url]);
	const stop = async () => {
		await rr.close();
		await Promise.all([first.stop(), second.stop()]);
	};
	return { a: first, b: second, proxy: rr, stop };
}

beforeAll(async () => {
	({ a, b, proxy } = await startPair({ SQUELCH_ACCESS_TTL: String(TOKEN_TTL_SEC) }));
});

afterAll(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await proxy?.close();
	await Promise.all([a?.stop(), b?.stop()]);
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;
const audio = fixture(M4A);

async function upload(s: TestServer, key: string) {
	const reply = await uploadCountyCall(s.url, key);
	expect(reply.status, reply.body).toBe(200);
}

async function listener(username: string, via = proxy) {
	const admin = await signInAdmin(via.url);
	const password = `${username}-password-1`;
	await admin.client.admin.users.create.mutate({ username, password, role: 'listener' });
	const auth = await trpc(via.url).auth.login.mutate({
		username,
		password,
		refreshTokenInBody: true
	});
	return { admin, password, auth };
}

const codeOf = (outcome: PromiseSettledResult<unknown>) =>
	outcome.status === 'fulfilled'
		? 'OK'
		: outcome.reason instanceof TRPCClientError
			? outcome.reason.data?.code
			: String(outcome.reason);

describe('two instances on one PostgreSQL behind a round-robin proxy', () => {
	it('each instance reports its database and its bus as healthy', async () => {
		for (const s of [a, b]) {
			const res = await fetch(`${s.url}/api/health`);
			expect(res.status).toBe(200);
			expect(await res.json()).toMatchObject({
				status: 'ok',
				database: { dialect: 'postgres', ok: true },
				bus: { kind: 'postgres', state: 'listening' }
			});
		}
	});

	it(
		'listening on B while calls upload to A, refreshing through the proxy on alternating instances: every call once, in order, across a restart of each',
		{ timeout: 180_000 },
		async () => {
			const { admin, auth } = await listener('lena');
			const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
			const device = refreshingDevice(proxy.url, auth);
			const live = liveClient(wsUrl(b), { token: () => device.token(TOKEN_TTL_SEC * 500) });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await until(() => seen.started, 'subscribed on B');
			const startedAt = Date.now();

			const burst = async (n: number) => {
				for (let i = 0; i < n; i++) {
					await upload(a, key);
					await new Promise((r) => setTimeout(r, 150));
				}
			};
			await burst(15);
			// B (the listener's instance) restarts while A keeps storing calls.
			await Promise.all([b.restart(), burst(10)]);
			await burst(10);
			// A (the uploader's instance) restarts; uploads go on once it is back, until several
			// token lifetimes have gone by since the listener subscribed.
			await a.restart();
			let uploaded = 35;
			while (uploaded < 50 || Date.now() - startedAt < 3 * TOKEN_TTL_SEC * 1000) {
				await burst(1);
				uploaded++;
			}
			await until(
				() => seen.ids.length >= uploaded,
				`all ${uploaded} calls (got ${seen.ids.length})`,
				30_000
			);
			const stored = await storedIds((await signInAdmin(a.url)).client);
			expect(stored).toHaveLength(uploaded);
			expect(seen.ids).toEqual(stored);
			expect(seen.errors).toEqual([]);

			// Every refresh went through the proxy, to both instances in turn.
			const refreshes = proxy.served.filter((r) => r.path.includes('auth.refresh'));
			expect(refreshes.length).toBeGreaterThanOrEqual(3);
			expect(new Set(refreshes.map((r) => r.backend))).toEqual(new Set([0, 1]));
			// The audio is in the shared directory: either instance serves it.
			const token = await device.token(TOKEN_TTL_SEC * 500);
			for (const s of [a, b]) {
				const res = await fetch(`${s.url}/api/calls/${stored.at(-1)}/audio`, {
					headers: { authorization: `Bearer ${token}` }
				});
				expect(res.status).toBe(200);
				expect(Buffer.from(await res.arrayBuffer())).toEqual(audio);
			}
		}
	);

	it('a session revoked on A closes its socket on B with 4003 within a second', async () => {
		const { auth } = await listener('rita');
		const live = liveClient(wsUrl(b), { token: async () => auth.accessToken });
		cleanups.push(() => live.close());
		const seen = follow(live.client);
		await until(() => seen.started, 'subscribed on B');
		let closedAt = 0;
		const push = live.closes.push.bind(live.closes);
		live.closes.push = (...records) => {
			closedAt ||= performance.now();
			return push(...records);
		};

		const admin = await signInAdmin(a.url);
		await admin.client.admin.sessions.revoke.mutate({ id: auth.session.id });
		const revokedAt = performance.now();
		await until(() => live.closes.length > 0, 'socket on B closed');
		expect(live.closes[0]).toEqual({ code: 4003, reason: 'session revoked: admin' });
		expect(closedAt - revokedAt).toBeLessThan(1000);
	});
});

describe('the login throttle across instances', () => {
	it('40 parallel wrong passwords through the proxy, 20 on each instance: exactly 5 are checked', async () => {
		// Both instances read one frozen clock (SQUELCH_TEST_CLOCK_FILE): however long the 40
		// take on a busy machine, no throttle delay runs out in between.
		const clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-clock-')), 'now');
		fs.writeFileSync(clockFile, String(Date.now()));
		const pair = await startPair({ SQUELCH_TEST_CLOCK_FILE: clockFile });
		cleanups.push(pair.stop);
		const proxy = pair.proxy;
		await listener('tess', proxy);
		const anon = trpc(proxy.url);
		const before = proxy.served.length;
		const outcomes = await Promise.allSettled(
			Array.from({ length: 40 }, () =>
				anon.auth.login.mutate({ username: 'tess', password: 'not-the-password' })
			)
		);
		const codes = outcomes.map(codeOf);
		expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(5);
		expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(35);
		const backends = proxy.served.slice(before).map((r) => r.backend);
		expect(backends.filter((x) => x === 0)).toHaveLength(20);
		expect(backends.filter((x) => x === 1)).toHaveLength(20);
	});
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { cookieFetch, signInAdmin, trpc } from '../helpers/client';

// A compressed day: a 3-second access token, three devices that each refresh shortly before every
// expiry and use their token in between, for 90 seconds (30 token lifetimes). Nobody is signed out
// and the user still has exactly three sessions.
const TTL_SEC = 3;
const RUN_MS = 90_000;

let server: TestServer;
beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_ACCESS_TTL: String(TTL_SEC) } });
	const { client } = await signInAdmin(server.url);
	await client.admin.users.create.mutate({
		username: 'dana',
		password: 'dana-password',
		role: 'listener'
	});
});
afterAll(() => server?.stop());

it(
	'desktop, phone and tablet stay signed in across many expiries, one session each',
	{ timeout: RUN_MS + 60_000 },
	async () => {
		const userAgents = {
			desktop:
				'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
			phone:
				'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
			tablet:
				'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'
		};
		const deadline = Date.now() + RUN_MS;
		const results = await Promise.all(
			Object.entries(userAgents).map(async ([name, ua]) => {
				const fetch = cookieFetch(undefined, { 'user-agent': ua });
				let token = '';
				const client = trpc(server.url, { fetch, token: () => token });
				let auth = await client.auth.login.mutate({ username: 'dana', password: 'dana-password' });
				token = auth.accessToken;
				const sessionId = auth.session.id;
				let refreshes = 0;
				let calls = 0;
				while (Date.now() < deadline) {
					if (auth.accessTokenExpiresAt - Date.now() < 1000) {
						auth = await client.auth.refresh.mutate();
						token = auth.accessToken;
						expect(auth.session.id, `${name} keeps its session`).toBe(sessionId);
						refreshes++;
					}
					await client.auth.me.query();
					calls++;
					await new Promise((r) => setTimeout(r, 200));
				}
				return { name, sessionId, refreshes, calls, client };
			})
		);
		for (const r of results)
			expect(r.refreshes, r.name).toBeGreaterThanOrEqual(RUN_MS / 1000 / TTL_SEC - 3);
		const sessions = await results[0].client.sessions.list.query();
		expect(sessions.map((s) => s.id).sort()).toEqual(results.map((r) => r.sessionId).sort());
		expect(sessions.map((s) => s.device).sort()).toEqual([
			'Chrome on Android',
			'Chrome on Windows',
			'Safari on iPhone'
		]);
	}
);

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin, trpc, type Client } from '../helpers/client';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// Issue 11, finding 9: a phone whose token refreshes fail for longer than a token's life (no
// network, a proxy's 502) while calls keep coming. It must say "Reconnecting…" meanwhile, never
// listen on a socket without a token, and, once refreshes work again, resume from its last call:
// every call arrives and plays, in order, once.

const TTL_SEC = 12;
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let key: string;
let adminAuth: Awaited<ReturnType<typeof signInAdmin>>['auth'];

async function admin(): Promise<Client> {
	if (adminAuth.accessTokenExpiresAt - Date.now() < 4_000)
		adminAuth = await trpc(server.url).auth.refresh.mutate({
			refreshToken: adminAuth.refreshToken
		});
	return trpc(server.url, { token: adminAuth.accessToken });
}

beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_ACCESS_TTL: String(TTL_SEC) } });
	browser = await launchBrowser();
	adminAuth = (await signInAdmin(server.url)).auth;
	key = (await (await admin()).admin.apiKeys.create.mutate({ name: 'recorder' })).key;
});
afterAll(async () => {
	await context?.close().catch(() => undefined);
	await browser?.close();
	await server?.stop();
});

const audio = fixture(M4A);
let sequence = 0;
const firstTime = Math.floor(Date.now() / 1000) - 3600;

/** One upload; returns the new call's id. */
async function upload(): Promise<number> {
	const n = sequence++;
	const talkgroup = 100 + (n % 3);
	const reply = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio,
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime: firstTime + n * 10,
			system: 11,
			systemLabel: 'Metro County',
			talkgroup,
			talkgroupLabel: `TG ${talkgroup}`
		})
	);
	expect(reply.status, reply.body).toBe(200);
	const { items } = await (await admin()).calls.search.query({ limit: 1 });
	return items[0].id;
}

const played = async (page: Page) =>
	((await page.getByTestId('scanner').getAttribute('data-played-ids')) ?? '')
		.split(',')
		.filter(Boolean)
		.map(Number);

/** Fails every token refresh the page makes, alternately as a dropped connection and as a 502. */
async function failRefreshes(page: Page): Promise<() => Promise<void>> {
	let n = 0;
	const handler = (route: Route) =>
		n++ % 2
			? route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' })
			: route.abort('connectionfailed');
	await page.route('**/api/trpc/auth.refresh', handler);
	return () => page.unroute('**/api/trpc/auth.refresh', handler);
}

it(
	'refreshes failing for longer than a token’s life: Reconnecting…, then every call plays, in order, once',
	{ timeout: 180_000 },
	async () => {
		context = await browser.newContext({ ...PHONE, colorScheme: 'light' });
		const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
		const console = watchConsole(page);
		const badge = page.getByTestId('connection-badge');
		await page.getByRole('button', { name: 'Start listening' }).click();
		await badge.and(page.locator('[data-state="connected"]')).waitFor();

		const uploaded = [await upload()];
		await expect.poll(() => played(page), { timeout: 20_000 }).toEqual(uploaded);

		// The outage: from now on, for more than two token lifetimes, no refresh succeeds.
		const restore = await failRefreshes(page);
		const outageEnd = Date.now() + 2.5 * TTL_SEC * 1000;
		let sawReconnecting = false;
		let sawLiveAfterExpiry = false;
		const tokenGone = Date.now() + TTL_SEC * 1000;
		while (Date.now() < outageEnd) {
			uploaded.push(await upload());
			const state = await badge.getAttribute('data-state');
			if (state === 'reconnecting' && !sawReconnecting) {
				sawReconnecting = true;
				await screenshot(page, 'refresh-outage-reconnecting-phone');
			}
			// Past the last token's life the socket cannot be live: it would be anonymous.
			if (Date.now() > tokenGone + 2_000 && state === 'connected') sawLiveAfterExpiry = true;
			await new Promise((r) => setTimeout(r, 2_000));
		}
		expect(sawReconnecting).toBe(true);
		expect(sawLiveAfterExpiry).toBe(false);
		expect(await badge.textContent()).toContain('Reconnecting…');
		expect(await page.getByTestId('signed-out').count()).toBe(0);

		// The network is back: the next retry refreshes, a new socket resumes from the last call.
		await restore();
		uploaded.push(await upload());
		await badge.and(page.locator('[data-state="connected"]')).waitFor({ timeout: 45_000 });
		uploaded.push(await upload());
		await expect.poll(() => played(page), { timeout: 90_000 }).toEqual(uploaded);
		await screenshot(page, 'refresh-outage-recovered-phone');
		expect(await page.getByRole('link', { name: 'Account' }).isVisible()).toBe(true);

		// The only console lines are Chromium's own reports of the refreshes this test broke.
		const broken =
			/Failed to load resource: (net::ERR_CONNECTION_FAILED|the server responded with a status of 502)/;
		expect(console.problems().filter((m) => !broken.test(m))).toEqual([]);
		expect(console.messages.filter((m) => /^warning/.test(m))).toEqual([]);
	}
);

it(
	'a page load whose refresh fails for network reasons says so and retries, instead of showing the sign-in page',
	{ timeout: 120_000 },
	async () => {
		const desktop = await browser.newContext({ ...DESKTOP, colorScheme: 'dark' });
		try {
			const page = await signIn(desktop, server.url, ADMIN.username, ADMIN.password);
			const console = watchConsole(page);
			const before = (await (await admin()).sessions.list.query()).length;
			const restore = await failRefreshes(page);
			await page.reload();
			const restoring = page.getByTestId('restoring');
			await expect
				.poll(() => restoring.textContent(), { timeout: 20_000 })
				.toContain('Reconnecting…');
			await screenshot(page, 'refresh-outage-page-load-desktop-dark');
			expect(new URL(page.url()).pathname).toBe('/');
			expect(await page.getByLabel('Username').count()).toBe(0);

			// The network comes back: the retry restores the same session; no new device.
			await restore();
			await page.getByRole('button', { name: 'Start listening' }).waitFor({ timeout: 45_000 });
			expect(new URL(page.url()).pathname).toBe('/');
			expect((await (await admin()).sessions.list.query()).length).toBe(before);
			const broken =
				/Failed to load resource: (net::ERR_CONNECTION_FAILED|the server responded with a status of 502)/;
			expect(console.problems().filter((m) => !broken.test(m))).toEqual([]);
		} finally {
			await desktop.close();
		}
	}
);

it(
	'an account expiring while it listens: its socket closes, one refresh is refused, the phone says why; no retry loop',
	{ timeout: 120_000 },
	async () => {
		const { id } = await (
			await admin()
		).admin.users.create.mutate({
			username: 'temp',
			password: 'temp-password-1',
			role: 'listener',
			mustChangePassword: false
		});
		const phone = await browser.newContext({ ...PHONE, colorScheme: 'dark' });
		try {
			const page = await signIn(phone, server.url, 'temp', 'temp-password-1');
			const console = watchConsole(page);
			let sockets = 0;
			let refreshes = 0;
			page.on('websocket', () => sockets++);
			page.on('request', (r) => r.url().endsWith('/api/trpc/auth.refresh') && refreshes++);
			await page.getByRole('button', { name: 'Start listening' }).click();
			await page
				.getByTestId('connection-badge')
				.and(page.locator('[data-state="connected"]'))
				.waitFor();
			const [socketsBefore, refreshesBefore] = [sockets, refreshes];

			await (
				await admin()
			).admin.users.update.mutate({ id, expiresAt: new Date(Date.now() + 2_000) });
			await page.getByTestId('signed-out').waitFor({ timeout: 20_000 });
			expect(await page.getByTestId('signed-out-reason').textContent()).toBe(
				'Your sign-in expired.'
			);
			await screenshot(page, 'account-expired-phone-dark');
			// A while later still: no socket or refresh has been tried since.
			const settled = [sockets, refreshes];
			await new Promise((r) => setTimeout(r, 5_000));
			expect([sockets, refreshes]).toEqual(settled);
			expect(sockets - socketsBefore).toBeLessThanOrEqual(1);
			expect(refreshes - refreshesBefore).toBe(1);
			// The one refused refresh is the only console line.
			expect(console.problems().filter((m) => !/status of 401/.test(m))).toEqual([]);
			expect(console.problems().length).toBeLessThanOrEqual(1);
		} finally {
			await phone.close();
		}
	}
);

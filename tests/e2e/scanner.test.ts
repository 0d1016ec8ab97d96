import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

// The scanner in real Chromium against the production server, with 20-second access tokens so
// the audio cookie and the socket's token run out many times while it plays.

let server: TestServer;
let browser: Browser;
let key: string;
let adminAuth: Awaited<ReturnType<typeof signInAdmin>>['auth'];

/** The test's own admin device, refreshed when its 20-second token runs low (one session, not one per call). */
async function admin(): Promise<Client> {
	if (adminAuth.accessTokenExpiresAt - Date.now() < 5_000) {
		adminAuth = await trpc(server.url).auth.refresh.mutate({
			refreshToken: adminAuth.refreshToken
		});
	}
	return trpc(server.url, { token: adminAuth.accessToken });
}
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_ACCESS_TTL: '20' } });
	browser = await launchBrowser();
	adminAuth = (await signInAdmin(server.url)).auth;
	key = (await (await admin()).admin.apiKeys.create.mutate({ name: 'recorder' })).key;
});
afterAll(async () => {
	for (const c of contexts) await c.close().catch(() => undefined);
	await browser?.close();
	await server?.stop();
});

const audio = fixture(M4A);
let sequence = 0;
// Recorder times are whole seconds: ten apart each (closer calls on one talkgroup count as
// duplicates), so the newest upload is the newest call.
const firstTime = Math.floor(Date.now() / 1000) - 7200;

/** One Trunk-Recorder upload on system 11; returns the new call's id (the newest in the archive). */
async function upload(talkgroup: number): Promise<number> {
	const n = sequence++;
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
			talkgroupLabel: `TG ${talkgroup}`,
			talkgroupName: talkgroup % 2 ? 'Fire Dispatch' : 'Police Main',
			talkgroupGroup: talkgroup % 2 ? 'Fire' : 'Police',
			talkgroupTag: talkgroup % 2 ? 'Dispatch' : 'Law',
			frequency: 851_012_500 + talkgroup * 12_500
		})
	);
	expect(reply.status, reply.body).toBe(200);
	const { items } = await (await admin()).calls.search.query({ limit: 1, talkgroups: [talkgroup] });
	return items[0].id;
}

const ids = async (page: Page, attr: 'data-played-ids' | 'data-received-ids') =>
	((await page.getByTestId('scanner').getAttribute(attr)) ?? '')
		.split(',')
		.filter(Boolean)
		.map(Number);

async function openScanner(
	size: typeof DESKTOP | typeof PHONE,
	colorScheme: 'light' | 'dark' = 'light'
) {
	const context = await browser.newContext({ ...size, colorScheme });
	contexts.push(context);
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const console = watchConsole(page);
	await page.getByRole('button', { name: 'Start listening' }).click();
	await page
		.getByTestId('connection-badge')
		.and(page.locator('[data-state="connected"]'))
		.waitFor();
	return { context, page, console };
}

let desktop: Awaited<ReturnType<typeof openScanner>>;
let phone: Awaited<ReturnType<typeof openScanner>>;

it(
	'a desktop and a phone of the same user play every call for three minutes, through many token expiries',
	{ timeout: 300_000 },
	async () => {
		desktop = await openScanner(DESKTOP);
		phone = await openScanner(PHONE);

		const uploaded: number[] = [];
		const end = Date.now() + 180_000;
		while (Date.now() < end) {
			uploaded.push(await upload(100 + (uploaded.length % 4)));
			await new Promise((r) => setTimeout(r, 4_000 + Math.random() * 2_000));
		}
		expect(uploaded.length).toBeGreaterThanOrEqual(25);
		for (const { page } of [desktop, phone]) {
			await expect
				.poll(() => ids(page, 'data-played-ids'), { timeout: 30_000 })
				.toEqual(expect.arrayContaining(uploaded));
			expect(await page.getByTestId('signed-out').count()).toBe(0);
			expect(await page.getByRole('link', { name: 'Account' }).isVisible()).toBe(true);
		}
		for (const { console } of [desktop, phone]) {
			expect(console.messages.filter((m) => /401|websocket/i.test(m))).toEqual([]);
			expect(console.problems()).toEqual([]);
		}
	}
);

it(
	'hold and avoid change what plays; a talkgroup turned off on one device is off on the other and not sent',
	{ timeout: 120_000 },
	async () => {
		const { page } = desktop;
		const played = (id: number) =>
			expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(id);

		// Hold talkgroup 100: a call on 101 arrives but does not play; the next 100 does.
		await played(await upload(100));
		await page.getByRole('button', { name: 'Hold talkgroup' }).click();
		expect(
			await page.getByRole('button', { name: 'Hold talkgroup' }).getAttribute('aria-pressed')
		).toBe('true');
		const other = await upload(101);
		await played(await upload(100));
		expect(await ids(page, 'data-received-ids')).toContain(other);
		expect(await ids(page, 'data-played-ids')).not.toContain(other);
		await page.getByRole('button', { name: 'Release' }).click();

		// Avoid 102 for 30 minutes with the keyboard: its next call is skipped, 103 plays.
		await played(await upload(102));
		await page.keyboard.press('a');
		await page.getByRole('button', { name: /Turn TG 102 .* back on/ }).waitFor();
		const avoided = await upload(102);
		await played(await upload(103));
		expect(await ids(page, 'data-played-ids')).not.toContain(avoided);
		await page.getByRole('button', { name: /Turn TG 102 .* back on/ }).click();

		// Turn 101 off on the desktop; the phone shows it off after a reload and is no longer sent it.
		await page.getByRole('button', { name: 'Choose talkgroups' }).click();
		await page.getByTestId('tg-filter').fill('101');
		const toggle = page.getByTestId('tg-toggle-11-101');
		await toggle.uncheck();
		await expect
			.poll(async () => (await (await admin()).scanner.selection.get.query()).muted)
			.toEqual([{ system: 11, talkgroup: 101 }]);
		await phone.page.reload();
		await phone.page.getByRole('button', { name: 'Start listening' }).click();
		await phone.page.getByRole('button', { name: 'Choose talkgroups' }).click();
		expect(await phone.page.getByTestId('tg-toggle-11-101').isChecked()).toBe(false);
		expect(await phone.page.getByTestId('tg-toggle-11-100').isChecked()).toBe(true);
		await phone.page
			.getByTestId('connection-badge')
			.and(phone.page.locator('[data-state="connected"]'))
			.waitFor();

		const deselected = await upload(101);
		const selected = await upload(100);
		for (const p of [page, phone.page]) {
			await expect.poll(() => ids(p, 'data-received-ids'), { timeout: 20_000 }).toContain(selected);
			expect(await ids(p, 'data-received-ids')).not.toContain(deselected);
		}
		await toggle.check();
		for (const { console } of [desktop, phone]) expect(console.problems()).toEqual([]);
	}
);

it(
	'revoking the phone from the desktop shows the phone the signed-out screen with the reason',
	{ timeout: 60_000 },
	async () => {
		await desktop.page.getByRole('link', { name: 'Account' }).click();
		await desktop.page.getByRole('button', { name: 'Sign out Chrome on Android' }).click();
		await desktop.page
			.getByRole('dialog', { name: 'Sign out Chrome on Android?' })
			.getByRole('button', { name: 'Sign it out' })
			.click();
		// The phone stays on the scanner: its socket is closed 4003, one refresh fails, the screen shows why.
		await phone.page.getByTestId('signed-out').waitFor({ timeout: 10_000 });
		expect(await phone.page.getByTestId('signed-out-reason').textContent()).toBe(
			'This device was signed out from another of your devices.'
		);
		expect(new URL(phone.page.url()).pathname).toBe('/');
		expect(desktop.console.problems()).toEqual([]);
	}
);

it(
	'screenshots of the scanner, archive and account at phone and desktop sizes in both themes',
	{ timeout: 120_000 },
	async () => {
		for (const colorScheme of ['light', 'dark'] as const) {
			for (const [name, size] of [
				['desktop', DESKTOP],
				['phone', PHONE]
			] as const) {
				const { context, page, console } = await openScanner(size, colorScheme);
				// The socket is up; the subscription may still be starting: upload until one arrives.
				await expect
					.poll(async () => (await upload(100), (await ids(page, 'data-received-ids')).length), {
						timeout: 30_000,
						interval: 1_500
					})
					.toBeGreaterThan(0);
				await screenshot(page, `scanner-${name}-${colorScheme}`);
				await page.getByRole('button', { name: 'Choose talkgroups' }).click();
				await page.getByTestId('tg-toggle-11-100').waitFor();
				await screenshot(page, `scanner-talkgroups-${name}-${colorScheme}`);
				await page.getByRole('link', { name: 'Archive' }).click();
				await page.getByTestId('archive-call').first().waitFor();
				await screenshot(page, `archive-${name}-${colorScheme}`);
				await page.getByRole('link', { name: 'Account' }).click();
				await page.getByTestId('device').first().waitFor();
				await screenshot(page, `account-${name}-${colorScheme}`);
				expect(console.problems()).toEqual([]);
				await context.close();
			}
		}
	}
);

it(
	'an audio request refused with 401 refreshes once and plays the same call; refused again, the call is skipped',
	{ timeout: 90_000 },
	async () => {
		const { context, page } = await openScanner(DESKTOP);
		// Wait until the stream is live.
		await expect
			.poll(async () => (await upload(100), (await ids(page, 'data-played-ids')).length), {
				timeout: 30_000,
				interval: 3_000
			})
			.toBeGreaterThan(0);

		// The audio cookie is gone (as when it ran out): the next call's audio gets a 401, the scanner
		// refreshes (which sets the cookie again) and plays that same call.
		await context.clearCookies({ name: 'squelch_at' });
		const afterCookieLoss = await upload(101);
		await expect
			.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 })
			.toContain(afterCookieLoss);
		expect(await page.getByTestId('signed-out').count()).toBe(0);

		// A call whose audio the server keeps refusing: one refresh, one retry, then the next call plays.
		await page.keyboard.press(' ');
		await expect.poll(() => page.getByTestId('led').getAttribute('data-state')).toBe('paused');
		const refused = await upload(102);
		const requests: string[] = [];
		await page.route(`**/api/calls/${refused}/audio`, (route) => {
			requests.push(route.request().method());
			return route.fulfill({ status: 401, body: 'unauthorized' });
		});
		const next = await upload(103);
		await expect.poll(() => ids(page, 'data-received-ids')).toContain(next);
		await page.keyboard.press(' ');
		await expect
			.poll(() => ids(page, 'data-played-ids'), {
				timeout: 20_000,
				message: `requests for the refused call: ${requests}`
			})
			.toContain(next);
		expect(await ids(page, 'data-played-ids')).not.toContain(refused);
		expect(requests.filter((m) => m === 'HEAD')).toHaveLength(1);
		expect(requests.filter((m) => m === 'GET')).toHaveLength(2);
		await context.close();
	}
);

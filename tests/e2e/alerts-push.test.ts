import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin } from '../helpers/client';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	launchProfile,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';
import {
	browserKeys,
	decryptPush,
	startPushService,
	type PushService
} from '../helpers/push-service';

// "Enable push on this device" in real Chromium, with the notifications permission granted.
// Headless Chromium has no push service, so its PushManager.subscribe fails: the first test
// drives the real call and checks the page explains it with a clean console. The second replaces
// only PushManager.subscribe (an init script), answering with a subscription at the test's own
// loopback push service, so everything after it is real: the page's tRPC subscribe, the server's
// endpoint checks, an upload, and a push the test decrypts with that subscription's keys.

let server: TestServer;
let push: PushService;
let browser: Browser;
let key: string;

beforeAll(async () => {
	push = await startPushService();
	server = await startServer({
		env: { NODE_EXTRA_CA_CERTS: push.caFile, SQUELCH_PUSH_ALLOW_PRIVATE: '1' }
	});
	browser = await launchBrowser();
	const admin = await signInAdmin(server.url);
	({ key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' }));
	await admin.client.alerts.rules.create.mutate({
		name: 'Station 14',
		talkgroups: [4200],
		cooldownSeconds: 0
	});
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await push?.close();
});

let n = 0;
async function upload(talkgroup = 4200, emergency?: number) {
	const reply = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio: fixture(M4A),
			audioName: M4A,
			audioType: 'audio/mp4',
			// A minute apart: never inside the duplicate window.
			dateTime: 1_718_145_700 + 60 * n++,
			system: 11,
			systemLabel: 'County',
			talkgroup,
			emergency
		})
	);
	expect(reply.body).toBe('Call imported successfully.');
}

const count = (query: string) => {
	const db = new Database(path.join(server.dataDir, 'squelch.db'), { readonly: true });
	try {
		return (db.prepare(query).get() as { n: number }).n;
	} finally {
		db.close();
	}
};

const webPushSetting = () => {
	const db = new Database(path.join(server.dataDir, 'squelch.db'), { readonly: true });
	try {
		const row = db.prepare("select value from settings where key = 'webPush'").get() as
			{ value: string } | undefined;
		return row?.value ?? null;
	} finally {
		db.close();
	}
};

const subscriptions = () => {
	const db = new Database(path.join(server.dataDir, 'squelch.db'), { readonly: true });
	try {
		return db.prepare('select endpoint from push_subscriptions').all() as { endpoint: string }[];
	} finally {
		db.close();
	}
};

async function openAlerts(viewport: typeof DESKTOP | typeof PHONE, persistent = false) {
	const context = persistent
		? await launchProfile(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-profile-')), viewport)
		: await browser.newContext(viewport);
	await context.grantPermissions(['notifications'], { origin: server.url });
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const console = watchConsole(page);
	await page.goto(`${server.url}/alerts`);
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
	return { context, page, console };
}

it(
	'the real subscribe call: the page says why it failed and the console stays clean',
	{ timeout: 60_000 },
	async () => {
		// A real profile (a persistent context): Chromium refuses the Push API in incognito-like
		// contexts with a console error of its own, which is not what a user's browser does.
		const { context, page, console } = await openAlerts(PHONE, true);
		const keyRequests: string[] = [];
		page.on('request', (r) => {
			if (r.url().includes('alerts.push.publicKey')) keyRequests.push(r.url());
		});
		await page.getByRole('button', { name: 'Enable push on this device' }).click();
		const error = page.getByRole('alert');
		// Chromium without a push service never answers; the page gives up after 10 s.
		await expect.poll(() => error.count(), { timeout: 20_000 }).toBe(1);
		expect(await error.textContent()).toMatch(/could not reach its push service/i);
		expect(keyRequests).toHaveLength(1);
		expect(await page.evaluate(() => Notification.permission)).toBe('granted');
		// Still offered again, not stuck busy.
		expect(await page.getByRole('button', { name: 'Enable push on this device' }).isEnabled()).toBe(
			true
		);
		expect(subscriptions()).toEqual([]);
		await screenshot(page, 'alerts-push-unavailable-phone');
		expect(console.problems()).toEqual([]);
		await context.close();
	}
);

it(
	'with a push service answering: the page binds the device, an alert arrives encrypted, and the admin sees counts and failures',
	{ timeout: 60_000 },
	async () => {
		const ua = browserKeys();
		const endpoint = push.endpoint('chromium');
		const context = await browser.newContext(DESKTOP);
		await context.addInitScript(
			({ endpoint, keys }) => {
				let current: PushSubscription | null = null;
				PushManager.prototype.subscribe = async function (options) {
					const key = options?.applicationServerKey;
					if (typeof key !== 'string' || key.length !== 87) throw new Error('bad server key');
					current = {
						endpoint,
						options: options as PushSubscriptionOptions,
						expirationTime: null,
						getKey: () => null,
						toJSON: () => ({ endpoint, keys }),
						unsubscribe: async () => ((current = null), true)
					} as unknown as PushSubscription;
					return current;
				};
				PushManager.prototype.getSubscription = async () => current;
			},
			{ endpoint, keys: ua.keys }
		);
		await context.grantPermissions(['notifications'], { origin: server.url });
		const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
		const console = watchConsole(page);
		await page.goto(`${server.url}/alerts`);
		await page.getByRole('button', { name: 'Enable push on this device' }).click();
		await expect
			.poll(() =>
				page.getByRole('button', { name: 'Turn off notifications on this device' }).count()
			)
			.toBe(1);
		expect(subscriptions()).toEqual([{ endpoint }]);
		await screenshot(page, 'alerts-push-on-desktop');

		await upload();
		await expect.poll(() => push.requests.length, { timeout: 15_000 }).toBe(1);
		expect(JSON.parse(decryptPush(push.requests[0].body, ua))).toMatchObject({
			rule: { name: 'Station 14' },
			talkgroup: { id: 4200 }
		});

		// Turning it off on the page removes the device; turning it on binds it again.
		await page.getByRole('button', { name: 'Turn off notifications on this device' }).click();
		await expect.poll(() => subscriptions().length).toBe(0);
		await page.getByRole('button', { name: 'Enable push on this device' }).click();
		await expect.poll(() => subscriptions().length).toBe(1);

		// The admin turns Web Push off for the server: the next alert is decided, nothing is pushed.
		await page.goto(`${server.url}/admin/settings`);
		await page.getByLabel('Web Push alerts').uncheck();
		await page.getByRole('button', { name: 'Save settings' }).click();
		await expect.poll(webPushSetting).toBe('false');
		await upload();
		await expect.poll(() => count('select count(*) as n from alerts')).toBe(2);
		expect(
			count(
				"select count(*) as n from outbox where kind = 'push' and done_at is null and gave_up_at is null"
			)
		).toBe(0);
		expect(push.requests).toHaveLength(1);
		await page.getByLabel('Web Push alerts').check();
		await page.getByRole('button', { name: 'Save settings' }).click();
		await expect.poll(webPushSetting).toBe('true');

		// The push service forgets the device (410): it is removed, and the admin sees why.
		push.script('chromium', [{ status: 410 }]);
		await upload();
		await expect.poll(() => subscriptions().length, { timeout: 15_000 }).toBe(0);
		await page.goto(`${server.url}/admin`);
		const counts = page.getByTestId('alert-counts').getByRole('row', { name: /admin/ });
		await expect.poll(() => counts.textContent()).toMatch(/admin\s*3\s*1/);
		await screenshot(page, 'alerts-admin-dashboard-desktop');
		await page.goto(`${server.url}/admin/events`);
		const failed = page.locator('[data-testid=event][data-type="alert.push_failed"]');
		await expect.poll(() => failed.count()).toBe(1);
		expect(await failed.textContent()).toMatch(/Push not delivered.*410 · device removed/);

		expect(console.problems()).toEqual([]);
		await context.close();
	}
);

it(
	'an emergency call carries its badge in the archive and the scanner, on a phone and a desktop',
	{
		timeout: 60_000
	},
	async () => {
		await upload(4300, 1);
		await upload(4300);
		for (const [name, viewport] of [
			['phone', PHONE],
			['desktop', DESKTOP]
		] as const) {
			const context = await browser.newContext(viewport);
			const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
			const console = watchConsole(page);
			await expect.poll(() => page.getByTestId('emergency-badge').count()).toBeGreaterThan(0);
			await page.goto(`${server.url}/calls`);
			await expect.poll(() => page.getByTestId('archive-call').count()).toBeGreaterThan(1);
			const flagged = page
				.getByTestId('archive-call')
				.filter({ has: page.getByTestId('emergency-badge') });
			expect(await flagged.count()).toBe(1);
			await screenshot(page, `emergency-archive-${name}`);
			if (name === 'phone') await page.getByText(/^Filters/).click();
			await page.getByLabel('Emergencies only').check();
			await page.getByRole('button', { name: 'Search' }).click();
			await expect.poll(() => page.getByTestId('archive-call').count()).toBe(1);
			expect(await page.getByTestId('emergency-badge').count()).toBe(1);
			expect(console.problems()).toEqual([]);
			await context.close();
		}
	}
);

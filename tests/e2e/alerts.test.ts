import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin } from '../helpers/client';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// Alerts in the browser: a rule made on the Alerts page fires on an upload, the in-page alert
// shows (with its sound) on the scanner and on the Alerts page, and its Play link opens the call
// with ?play=1. Headless Chromium cannot show system notifications, so the service worker's
// notificationclick path is covered by calling its handler directly (alert-notifications.spec.ts).

let server: TestServer;
let browser: Browser;
let key: string;
let n = 0;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	const admin = await signInAdmin(server.url);
	({ key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' }));
}, 60_000);
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

async function upload(talkgroup: number) {
	const reply = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio: fixture(M4A),
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime: Math.floor(Date.now() / 1000) + n++,
			system: 11,
			systemLabel: 'County',
			talkgroup,
			sources: JSON.stringify([{ pos: 0, src: 4214 }])
		})
	);
	expect(reply.status, reply.body).toBe(200);
}

it(
	'a rule made on the Alerts page fires: the in-page alert shows with its sound and opens the call',
	{ timeout: 90_000 },
	async () => {
		const desktopContext = await browser.newContext(DESKTOP);
		const desktop = await signIn(desktopContext, server.url, ADMIN.username, ADMIN.password);
		const desktopConsole = watchConsole(desktop);

		await desktop.getByRole('link', { name: 'Alerts' }).click();
		await desktop.waitForURL(`${server.url}/alerts`);
		await desktop.getByLabel('Name').fill('Station 14');
		await desktop.getByLabel('Talkgroups').fill('4200');
		await desktop.getByLabel('Sound').selectOption('chime');
		await desktop.getByLabel('Cool-down (minutes)').fill('0');
		await desktop.getByRole('button', { name: 'Add rule' }).click();
		await expect.poll(() => desktop.getByTestId('alert-rule').count()).toBe(1);
		// A rule that names nothing is refused with the reason shown.
		await desktop.getByLabel('Name').fill('Everything');
		await desktop.getByRole('button', { name: 'Add rule' }).click();
		await expect
			.poll(() => desktop.getByRole('alert').first().textContent())
			.toContain('at least one');

		// The phone sits on the scanner.
		const phoneContext = await browser.newContext(PHONE);
		const phone = await signIn(phoneContext, server.url, ADMIN.username, ADMIN.password);
		const phoneConsole = watchConsole(phone);

		await upload(9999); // no rule names it
		await upload(4200);
		const toast = phone.getByTestId('in-page-alert');
		await expect.poll(() => toast.count(), { timeout: 15_000 }).toBe(1);
		expect(await toast.textContent()).toContain('Station 14');
		expect(await toast.getAttribute('data-sound')).toBe('chime');
		await screenshot(phone, 'alerts-in-page-phone');

		await expect.poll(() => desktop.getByTestId('recent-alert').count()).toBe(1);
		await expect.poll(() => desktop.getByTestId('in-page-alert').count()).toBe(1);
		await screenshot(desktop, 'alerts-desktop');

		await toast.getByRole('link', { name: 'Play' }).click();
		await phone.waitForURL(/\/calls\/\d+\?play=1$/);
		await expect.poll(() => phone.locator('audio[autoplay]').count()).toBe(1);

		expect(desktopConsole.problems()).toEqual([]);
		expect(phoneConsole.problems()).toEqual([]);
	}
);

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import {
	DESKTOP,
	launchBrowser,
	PHONE,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, openServerDb, post, trunkRecorderForm, WAV } from '../helpers/recorders';

let server: TestServer;
let browser: Browser;
const T0 = 1718145678;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	const { client } = await signInAdmin(server.url);
	const { key } = await client.admin.apiKeys.create.mutate({ name: 'share e2e' });
	for (let i = 0; i < 3; i++) {
		const form = trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: T0 + i * 120,
			system: 1,
			systemLabel: 'Metro County',
			talkgroup: 7,
			talkgroupLabel: 'Fire Dispatch',
			talkgroupName: 'County Fire Dispatch'
		});
		expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
	}
	await client.admin.users.create.mutate({
		username: 'sam',
		password: 'sam-password-1',
		role: 'listener',
		mustChangePassword: false
	});
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

it('a listener shares an incident; someone without an account plays it on a phone; expired says so', async () => {
	const desk = await browser.newContext({
		...DESKTOP,
		permissions: ['clipboard-read', 'clipboard-write']
	});
	const page = await signIn(desk, server.url, 'sam', 'sam-password-1');
	const deskConsole = watchConsole(page);
	await page.goto(`${server.url}/calls`);
	const rows = page.getByTestId('archive-call');
	await expect.poll(() => rows.count()).toBe(3);
	const middle = rows.nth(1);
	const callId = await middle.getAttribute('data-call-id');
	await page.goto(`${server.url}/calls/${callId}`);
	await page.getByRole('button', { name: 'Share this call' }).click();
	const dialog = page.getByTestId('share-dialog');
	await dialog.getByLabel('What').selectOption({ label: 'Its talkgroup, 15 minutes either side' });
	await dialog.getByLabel('Link expires after').selectOption({ label: '7 days' });
	await dialog.getByRole('button', { name: 'Create link' }).click();
	const url = await dialog.getByTestId('share-url').inputValue();
	expect(url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{22}$`));
	await dialog.getByRole('button', { name: 'Copy link' }).click();
	await dialog.getByRole('button', { name: 'Copied' }).waitFor();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
	await screenshot(page, 'share-dialog-desktop');
	await dialog.getByRole('button', { name: 'Done' }).click();

	// Someone with no account, on a phone.
	const phone = await browser.newContext(PHONE);
	const anon = await phone.newPage();
	const phoneConsole = watchConsole(anon);
	const res = await anon.goto(url);
	expect(res?.status()).toBe(200);
	await anon.getByRole('heading', { name: 'Fire Dispatch' }).waitFor();
	await expect.poll(() => anon.getByTestId('shared-calls').locator('li').count()).toBe(3);
	await anon.getByRole('button', { name: 'Play all' }).click();
	await expect
		.poll(() =>
			anon
				.locator('audio')
				.first()
				.evaluate((a: HTMLAudioElement) => !a.paused || a.ended)
		)
		.toBe(true);
	await screenshot(anon, 'share-page-phone');

	// The owner sees the view on the account page.
	await page.goto(`${server.url}/account`);
	await expect.poll(() => page.getByTestId('share-views').first().textContent()).toBe('1 view');
	await screenshot(page, 'share-account-desktop');

	// Expired: a page that says so, with status 410.
	const db = openServerDb(server.dataDir);
	db.prepare('update share_links set expires_at = ?').run(Date.now() - 1);
	db.close();
	const expired = await anon.goto(url);
	expect(expired?.status()).toBe(410);
	await anon.getByRole('heading', { name: 'This link has expired' }).waitFor();
	await screenshot(anon, 'share-expired-phone');

	expect(deskConsole.problems()).toEqual([]);
	// Chromium reports the 410 document itself as a failed load: that line is the status asked for.
	expect(phoneConsole.problems().filter((m) => !/status of 410/.test(m))).toEqual([]);
	await desk.close();
	await phone.close();
});

it('from the scanner’s recent calls: share one call, and the link plays for someone with no account', async () => {
	const desk = await browser.newContext(DESKTOP);
	const page = await signIn(desk, server.url, 'sam', 'sam-password-1');
	const deskConsole = watchConsole(page);
	const rows = page.getByTestId('history-call');
	await expect.poll(() => rows.count()).toBe(3);
	const row = rows.first();
	const callId = Number(await row.getAttribute('data-call-id'));
	await row.getByTestId('share-button').click();
	const dialog = page.getByTestId('share-dialog');
	await dialog.getByRole('button', { name: 'Create link' }).click();
	const url = await dialog.getByTestId('share-url').inputValue();
	expect(url).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{22}$`));
	await screenshot(page, 'share-from-scanner-desktop');
	await dialog.getByRole('button', { name: 'Done' }).click();

	// The link is to that one call: the share page lists it alone.
	const db = openServerDb(server.dataDir);
	const shared = db
		.prepare(
			'select c.call_id from share_link_calls c join share_links l on l.id = c.link_id where l.token = ?'
		)
		.all(url.split('/').pop()) as Array<{ call_id: number }>;
	db.close();
	expect(shared.map((r) => r.call_id)).toEqual([callId]);

	const phone = await browser.newContext(PHONE);
	const anon = await phone.newPage();
	const phoneConsole = watchConsole(anon);
	expect((await anon.goto(url))?.status()).toBe(200);
	await anon.getByRole('heading', { name: 'Fire Dispatch' }).waitFor();
	await expect.poll(() => anon.getByTestId('shared-calls').locator('li').count()).toBe(1);
	await screenshot(anon, 'share-from-scanner-phone');

	// The scanner on a phone shows the button on each recent call too.
	const phoneSigned = await browser.newContext(PHONE);
	const small = await signIn(phoneSigned, server.url, 'sam', 'sam-password-1');
	const smallConsole = watchConsole(small);
	await expect
		.poll(() => small.getByTestId('history-call').getByTestId('share-button').count())
		.toBe(3);
	await screenshot(small, 'scanner-history-share-phone');

	expect(deskConsole.problems()).toEqual([]);
	expect(phoneConsole.problems()).toEqual([]);
	expect(smallConsole.problems()).toEqual([]);
	await desk.close();
	await phone.close();
	await phoneSigned.close();
});

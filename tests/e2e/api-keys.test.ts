import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin } from '../helpers/client';
import { DESKTOP, launchBrowser, screenshot, signIn, watchConsole } from '../helpers/browser';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
});
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

const upload = (key: string, dateTime: number) =>
	post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime,
			system: 1,
			systemLabel: 'e2e',
			talkgroup: 5
		})
	);

it('an admin creates an upload key, sees it once, a recorder uses it, then the admin disables it', async () => {
	const { client } = await signInAdmin(server.url);
	await client.admin.users.create.mutate({
		username: 'plain',
		password: 'plain-password-1',
		role: 'listener',
		mustChangePassword: false
	});

	const context = await browser.newContext({
		...DESKTOP,
		permissions: ['clipboard-read', 'clipboard-write']
	});
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const console = watchConsole(page);
	await page.goto(`${server.url}/admin/keys`);
	await page.getByText('No keys yet.').waitFor();
	await page.getByLabel('Name').fill('Attic Trunk-Recorder');
	await page.getByLabel('Systems', { exact: false }).fill('1, 2');
	await page.getByRole('button', { name: 'Create key' }).click();

	const shown = page.getByLabel('New API key');
	await shown.waitFor();
	const key = await shown.inputValue();
	expect(key).toMatch(/^sq_/);
	await page.getByRole('button', { name: 'Copy', exact: true }).click();
	await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(key);
	await screenshot(page, 'api-key-created');

	const row = page.getByTestId('key').filter({ hasText: 'Attic Trunk-Recorder' });
	await expect.poll(() => row.textContent()).toContain(`${key.slice(0, 9)}…`);
	expect(await row.textContent()).toContain('systems 1, 2');
	expect(await row.textContent()).toContain('last used never');

	// The key works for a recorder, and the list shows it was used.
	expect((await upload(key, 1718145678)).body).toBe('Call imported successfully.');
	await page.getByRole('button', { name: 'Done' }).click();
	await page.reload();
	await expect.poll(() => row.textContent()).not.toContain('last used never');
	// Shown once: after a reload the key itself is nowhere on the page.
	expect(await page.content()).not.toContain(key);

	await row.getByRole('button', { name: 'Disable' }).click();
	await expect.poll(() => row.getAttribute('data-disabled')).toBe('true');
	expect((await upload(key, 1718145778)).status).toBe(401);
	await screenshot(page, 'api-keys-list');

	page.once('dialog', (dialog) => void dialog.accept());
	await row.getByRole('button', { name: 'Delete Attic Trunk-Recorder' }).click();
	await page.getByText('No keys yet.').waitFor();
	expect(console.problems()).toEqual([]);

	// A listener is refused by the admin area (and by the API).
	const listenerContext = await browser.newContext(DESKTOP);
	const listener = await signIn(listenerContext, server.url, 'plain', 'plain-password-1');
	await listener.goto(`${server.url}/admin/keys`);
	await listener.getByTestId('admins-only').waitFor();
	expect(await listener.getByRole('button', { name: 'Create key' }).count()).toBe(0);
});

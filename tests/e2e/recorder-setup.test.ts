import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin } from '../helpers/client';
import { launchBrowser, PHONE, screenshot, signIn, watchConsole } from '../helpers/browser';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	await signInAdmin(server.url);
});
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

it('a new key shows ready-to-paste settings and turns to "receiving" at its first upload', async () => {
	const context = await browser.newContext({
		...PHONE,
		permissions: ['clipboard-read', 'clipboard-write']
	});
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const console = watchConsole(page);
	await page.goto(`${server.url}/admin/keys`);
	await page.getByLabel('Name').fill('Attic');
	await page.getByLabel('Systems', { exact: false }).fill('4');
	await page.getByRole('button', { name: 'Create key' }).click();
	const key = await page.getByLabel('New API key').inputValue();

	const plugin = JSON.parse(await page.getByTestId('snippet-Trunk-Recorder').innerText());
	expect(plugin.server).toBe(server.url);
	expect(plugin.systems[0]).toMatchObject({ apiKey: key, systemId: 4 });
	expect(await page.getByTestId('snippet-SDRTrunk').innerText()).toContain(`Host: ${server.url}`);
	expect(await page.getByTestId('snippet-voxcall').innerText()).toContain(
		`Upload URL: ${server.url}/api/call-upload`
	);
	await page.getByRole('button', { name: 'Copy SDRTrunk settings' }).click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(`API Key: ${key}`);
	const status = page.getByTestId('key-status');
	expect(await status.getAttribute('data-state')).toBe('waiting');
	await screenshot(page, 'recorder-setup-waiting-phone');

	const form = trunkRecorderForm({
		key,
		audio: fixture(WAV),
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime: 1718145678,
		system: 4,
		systemLabel: 'Four',
		talkgroup: 9
	});
	expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
	await expect.poll(() => status.getAttribute('data-state')).toBe('receiving');
	expect(await status.innerText()).toContain('1 call');
	await screenshot(page, 'recorder-setup-receiving-phone');
	expect(console.problems()).toEqual([]);
	await context.close();
});

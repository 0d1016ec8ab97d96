import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin } from '../helpers/client';
import {
	DESKTOP,
	launchBrowser,
	PHONE,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { countRows, waitFor } from '../helpers/recorders';
import { makeSdrtrunkRecording } from '../helpers/sdrtrunk-recording';

/** The Watched folders section of the admin settings page, in a real browser, on a real server. */

let server: TestServer;
let browser: Browser;
const envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-e2e-envwatch-'));
const adminDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-e2e-watch-'));

beforeAll(async () => {
	server = await startServer({
		env: {
			SQUELCH_WATCH_DIRS: `${envDir}=4`,
			SQUELCH_WATCH_KEY: 'sq_not_a_key',
			SQUELCH_WATCH_SETTLE_MS: '1000'
		}
	});
	browser = await launchBrowser();
	const { client } = await signInAdmin(server.url);
	await client.admin.apiKeys.create.mutate({ name: 'SDRTrunk box' });
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

it('an admin adds an SDRTrunk folder from the settings page; a bad path is refused by name', async () => {
	const ctx = await browser.newContext(DESKTOP);
	const page = await signIn(ctx, server.url, ADMIN.username, ADMIN.password);
	const problems = watchConsole(page);
	await page.goto(`${server.url}/admin/settings`);
	const section = page.getByTestId('watch-folders');
	// The environment's folder is listed, read-only.
	await section.getByText('From SQUELCH_WATCH_DIRS').waitFor();
	expect(await section.getByTestId('watch-folder').count()).toBe(1);

	await section.getByTestId('watch-path').fill(path.join(adminDir, 'missing'));
	await section.getByTestId('watch-format').selectOption('sdrtrunk');
	await section.getByTestId('watch-system').fill('12');
	await section.getByTestId('watch-key').selectOption({ index: 1 });
	await section.getByTestId('watch-add').click();
	await expect
		.poll(() => section.getByTestId('watch-path-error').textContent())
		.toMatch(/^Folder: .*missing does not exist$/);
	expect(await section.getByTestId('watch-path').getAttribute('aria-invalid')).toBe('true');
	await screenshot(page, 'watch-folders-refused-desktop');

	await section.getByTestId('watch-path').fill(adminDir);
	await section.getByTestId('watch-move').check();
	await section.getByTestId('watch-add').click();
	await expect.poll(() => section.getByTestId('watch-folder').count()).toBe(2);
	await section.getByText(adminDir, { exact: true }).waitFor();
	await screenshot(page, 'watch-folders-desktop');

	// Takes effect without a restart: a recording dropped in now is imported and moved.
	const file = makeSdrtrunkRecording(adminDir, {
		talkgroup: 3101,
		talkgroupAlias: 'Ops',
		radio: 77,
		system: 'Metro',
		date: '2024-06-15 09:00:00.000',
		frequency: 852000000
	});
	expect(
		await waitFor(
			() => countRows(server.dataDir, 'calls'),
			(n) => n === 1,
			30_000
		)
	).toBe(1);
	await waitFor(
		() => fs.existsSync(path.join(adminDir, 'imported', path.basename(file))),
		(moved) => moved,
		30_000
	);

	// Paused from the page: the checkbox is saved.
	await section.getByTestId('watch-enabled').uncheck();
	await section.getByRole('status').filter({ hasText: 'Folder paused.' }).waitFor();
	await page.reload();
	await expect.poll(() => page.getByTestId('watch-enabled').isChecked()).toBe(false);
	// Chromium logs the refused request itself; that one line is the refusal the test asked for.
	expect(problems.problems()).toEqual([
		'error: Failed to load resource: the server responded with a status of 400 (Bad Request)'
	]);
	await ctx.close();
});

it('the section reads well on a phone', async () => {
	const ctx = await browser.newContext(PHONE);
	const page = await signIn(ctx, server.url, ADMIN.username, ADMIN.password);
	const problems = watchConsole(page);
	await page.goto(`${server.url}/admin/settings`);
	await page.getByTestId('watch-folders').getByTestId('watch-folder').first().waitFor();
	await page.getByTestId('watch-folders').scrollIntoViewIfNeeded();
	await screenshot(page, 'watch-folders-phone');
	// Nothing wider than the screen.
	const overflow = await page.evaluate(
		() => document.documentElement.scrollWidth - document.documentElement.clientWidth
	);
	expect(overflow).toBeLessThanOrEqual(0);
	expect(problems.problems()).toEqual([]);
	await ctx.close();
});

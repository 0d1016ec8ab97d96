import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin, type Client } from '../helpers/client';
import {
	DESKTOP,
	launchBrowser,
	PHONE,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';

let server: TestServer;
let browser: Browser;
let admin: Client;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	({ client: admin } = await signInAdmin(server.url));
	({ key } = await admin.admin.apiKeys.create.mutate({ name: 'e2e' }));
	await upload(1718145678);
});

let key: string;
async function upload(dateTime: number) {
	const form = trunkRecorderForm({
		key,
		audio: fixture(WAV),
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime,
		system: 1,
		systemLabel: 'Metro',
		talkgroup: 3,
		talkgroupLabel: 'Police Ops'
	});
	expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
}
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

it('admins see every share link, revoke one, and see forwarding targets with their errors', async () => {
	const [call] = (await admin.calls.search.query({})).items;
	await admin.share.create.mutate({ callId: call.id, expiresIn: 3600 });
	// A target nobody listens on (a port just freed): its error shows on the page.
	const free = net.createServer().listen(0, '127.0.0.1');
	await once(free, 'listening');
	const port = (free.address() as net.AddressInfo).port;
	free.close();
	await admin.admin.forward.create.mutate({
		name: 'Nowhere',
		url: `http://127.0.0.1:${port}`,
		apiKey: 'sq_none'
	});
	await upload(1718145778); // forwarded (and failing): targets get calls stored after they were added

	for (const [size, label] of [
		[PHONE, 'phone'],
		[DESKTOP, 'desktop']
	] as const) {
		const context = await browser.newContext(size);
		const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
		const console = watchConsole(page);
		await page.goto(`${server.url}/admin/shares`);
		await expect.poll(() => page.getByTestId('share-link').count()).toBe(1);
		await screenshot(page, `admin-shares-${label}`);

		await page.goto(`${server.url}/admin/forwarding`);
		await page.getByTestId('forward-target').waitFor();
		await expect
			.poll(() => page.getByTestId('forward-error').textContent(), { timeout: 20_000 })
			.toMatch(/^fetch failed: ECONNREFUSED/);
		await screenshot(page, `admin-forwarding-${label}`);

		await page.goto(`${server.url}/admin/settings`);
		await page.getByTestId('setting-shareEnabled').waitFor();
		expect(await page.getByTestId('setting-shareMaxCalls').inputValue()).toBe('200');
		expect(console.problems()).toEqual([]);
		await context.close();
	}

	// Revoke from the admin list.
	const context = await browser.newContext(DESKTOP);
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	await page.goto(`${server.url}/admin/shares`);
	await page.getByRole('button', { name: /^Revoke link/ }).click();
	await expect
		.poll(() => page.getByTestId('share-link').getAttribute('data-state'))
		.toBe('revoked');
	await context.close();
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, ADMIN } from '../helpers/client';
import {
	DESKTOP,
	launchBrowser,
	PHONE,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';
import { until } from '../helpers/live-server';

// Encoded calls (AAC-LC in MP4, and Opus in WebM) play to the end in Chromium; the dashboard and
// settings show the pipeline.

let server: TestServer;
let browser: Browser;
beforeAll(async () => {
	server = await startServer({ env: { FFMPEG_PATH: 'ffmpeg' } });
	browser = await launchBrowser();
});
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

it('encoded calls play to the end in an <audio> element; the dashboard shows the saving and the queue', async () => {
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	const wav = fixture(WAV);
	let n = 0;
	const uploadEncoded = async (type: string) => {
		const reply = await post(
			`${server.url}/api/call-upload`,
			trunkRecorderForm({
				key,
				audio: wav,
				audioName: WAV,
				audioType: 'audio/wav',
				dateTime: 1_718_145_678 + 10 * n++,
				system: 11,
				systemLabel: 'County',
				talkgroup: 100
			})
		);
		expect(reply.status).toBe(200);
		let found: { id: number; audioType: string } | undefined;
		await until(
			() => {
				void admin.client.calls.search.query({ limit: 1 }).then((p) => (found = p.items[0]));
				return found?.audioType === type;
			},
			`a call encoded as ${type}`,
			30_000
		);
		return found!.id;
	};
	const aac = await uploadEncoded('audio/mp4');
	await admin.client.admin.settings.update.mutate({ audioFormat: 'opus' });
	const opus = await uploadEncoded('audio/webm');

	const context = await browser.newContext({ ...DESKTOP, colorScheme: 'light' });
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const consoleLog = watchConsole(page);
	for (const id of [aac, opus]) {
		// The access cookie (Path=/api/calls) authorises the element's request, as in the scanner.
		const played = await page.evaluate(
			(src) =>
				new Promise<{ ended: boolean; duration: number }>((resolve, reject) => {
					const audio = new Audio(src);
					audio.addEventListener('ended', () => resolve({ ended: true, duration: audio.duration }));
					audio.addEventListener('error', () =>
						reject(new Error(`media error ${audio.error?.code}`))
					);
					audio.playbackRate = 4;
					void audio.play().catch(reject);
				}),
			`/api/calls/${id}/audio`
		);
		expect(played.ended).toBe(true);
		expect(played.duration).toBeGreaterThan(5);
	}

	await page.goto(`${server.url}/admin`);
	await page.getByTestId('storage-saved').waitFor();
	expect(await page.getByTestId('encode-queue').textContent()).toBe('0');
	expect(await page.getByTestId('storage-saved').textContent()).toMatch(/\d+(\.\d+)? (KB|KiB|kB)/);
	await screenshot(page, 'admin-dashboard-audio-desktop-light');
	await page.goto(`${server.url}/admin/settings`);
	await page.getByTestId('setting-loudnessTarget').waitFor();
	expect(await page.getByTestId('setting-loudnessTarget').inputValue()).toBe('-16');
	expect(await page.getByTestId('setting-audioFormat').inputValue()).toBe('opus');
	// Broadcast delay from the same page: the system's minutes, saved.
	await page.getByTestId('delay-system-11').fill('3');
	await page.getByTestId('delay-settings').getByRole('button', { name: 'Save' }).click();
	await page.getByText('Delay for County saved.').waitFor();
	const delays = await admin.client.admin.delays.get.query();
	expect(delays.systems.map((sys) => [sys.systemRef, sys.delayMinutes])).toEqual([[11, 3]]);
	await screenshot(page, 'admin-settings-audio-desktop-light');

	const phone = await browser.newContext({ ...PHONE, colorScheme: 'dark' });
	const phonePage = await signIn(phone, server.url, ADMIN.username, ADMIN.password);
	const phoneConsole = watchConsole(phonePage);
	await phonePage.goto(`${server.url}/admin`);
	await phonePage.getByTestId('storage-saved').waitFor();
	await screenshot(phonePage, 'admin-dashboard-audio-phone-dark');
	await phonePage.goto(`${server.url}/admin/settings`);
	await phonePage.getByTestId('setting-loudnessTarget').waitFor();
	await screenshot(phonePage, 'admin-settings-audio-phone-dark');

	expect(consoleLog.problems()).toEqual([]);
	expect(phoneConsole.problems()).toEqual([]);
	await context.close();
	await phone.close();
});

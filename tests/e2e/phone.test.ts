import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { copyApp, startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin, type Client } from '../helpers/client';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	SCREENSHOT_DIR,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// Listening on a phone (issue 13) in real Chromium with a phone viewport and user agent, against
// the production build: install, service worker, media session, catch-up, freezing, car mode.

let server: TestServer;
let browser: Browser;
let key: string;
let admin: Client;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	admin = (await signInAdmin(server.url)).client;
	key = (await admin.admin.apiKeys.create.mutate({ name: 'recorder' })).key;
});
afterAll(async () => {
	for (const c of contexts) await c.close().catch(() => undefined);
	await browser?.close();
	await server?.stop();
});

const audio = fixture(M4A);
const lastTime = new Map<number, number>();

/**
 * One upload on system 11 (a 2.2 s call) recorded about `ageSeconds` ago. Calls on one talkgroup
 * less than 10 s apart count as duplicates, so each is at least 10 s after the talkgroup's last.
 * Returns the new call's id.
 */
async function upload(talkgroup: number, ageSeconds = 30): Promise<number> {
	const dateTime = Math.max(
		Math.floor(Date.now() / 1000) - ageSeconds,
		(lastTime.get(talkgroup) ?? 0) + 10
	);
	lastTime.set(talkgroup, dateTime);
	const reply = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio,
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime,
			system: 11,
			systemLabel: 'Metro County',
			talkgroup,
			talkgroupLabel: `TG ${talkgroup}`,
			talkgroupName: talkgroup % 2 ? 'Fire Dispatch' : 'Police Main',
			frequency: 851_012_500
		})
	);
	expect(reply.status, reply.body).toBe(200);
	const { items } = await admin.calls.search.query({ limit: 1, talkgroups: [talkgroup] });
	return items[0].id;
}

const ids = async (page: Page, attr: 'data-played-ids' | 'data-received-ids') =>
	((await page.getByTestId('scanner').getAttribute(attr)) ?? '')
		.split(',')
		.filter(Boolean)
		.map(Number);

/** Records every call the scanner made current, and every media session action handler. */
const INSTRUMENT = () => {
	const w = window as unknown as {
		__current: number[];
		__media: Record<string, (details?: unknown) => void>;
	};
	w.__current = [];
	w.__media = {};
	const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
	navigator.mediaSession.setActionHandler = (action, handler) => {
		if (handler) w.__media[action] = handler as (details?: unknown) => void;
		set(action, handler);
	};
	new MutationObserver(() => {
		const id = Number(
			document.querySelector('[data-testid=scanner]')?.getAttribute('data-current-id')
		);
		if (id && w.__current.at(-1) !== id) w.__current.push(id);
	}).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-current-id'] });
};

async function openPhone(
	colorScheme: 'light' | 'dark' = 'light',
	size: typeof PHONE | typeof DESKTOP = PHONE
) {
	const context = await browser.newContext({ ...size, colorScheme });
	contexts.push(context);
	await context.addInitScript(INSTRUMENT);
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const console = watchConsole(page);
	await page
		.getByTestId('connection-badge')
		.and(page.locator('[data-state="connected"]'))
		.waitFor();
	return { context, page, console };
}

/** Upload until the live stream (which may still be starting) delivers one; returns its id. */
async function firstLiveCall(page: Page): Promise<number> {
	let id = 0;
	await expect
		.poll(
			async () => {
				id = await upload(100);
				await new Promise((r) => setTimeout(r, 500));
				return (await ids(page, 'data-received-ids')).includes(id);
			},
			{ timeout: 30_000, interval: 1_000 }
		)
		.toBe(true);
	return id;
}

const element = (page: Page) =>
	page.getByTestId('scanner-audio').evaluate((a: HTMLAudioElement) => ({
		rate: a.playbackRate,
		defaultRate: a.defaultPlaybackRate,
		pitch: a.preservesPitch,
		volume: a.volume,
		paused: a.paused
	}));

it(
	'before any call: one start button, nothing to hold, and this device not counted as listening',
	{ timeout: 60_000 },
	async () => {
		const { page, console } = await openPhone();
		await expect.poll(() => page.getByTestId('history').textContent()).toContain('No calls yet.');
		expect(await page.getByRole('button', { name: /^(▶ Play|Start listening)$/ }).count()).toBe(1);
		expect(await page.getByRole('button', { name: 'Hold system' }).isDisabled()).toBe(true);
		expect(await page.getByRole('button', { name: 'Hold talkgroup' }).isDisabled()).toBe(true);
		expect(await page.getByTestId('jump-to-live').isDisabled()).toBe(true);
		// The live stream is open (and counted by the server), but the page says no one else listens.
		await expect
			.poll(async () => (await admin.live.listeners.query()).count, { timeout: 10_000 })
			.toBe(1);
		await expect
			.poll(() => page.getByTestId('listener-count').textContent())
			.toBe('No one else listening');
		await page.getByRole('button', { name: 'Start listening' }).click();
		await expect
			.poll(() => page.getByTestId('listener-count').textContent(), { timeout: 20_000 })
			.toBe('Only you listening');
		expect(await page.getByRole('button', { name: /^(▶ Play|Start listening)$/ }).count()).toBe(0);
		expect(await page.getByRole('button', { name: '❚❚ Pause' }).count()).toBe(1);

		// Checkboxes and radios meet the 24×24 px target size.
		for (const box of await page.locator('input[type=checkbox], input[type=radio]').all()) {
			const { width, height } = (await box.boundingBox())!;
			expect(width).toBeGreaterThanOrEqual(24);
			expect(height).toBeGreaterThanOrEqual(24);
		}
		expect(console.problems()).toEqual([]);
	}
);

it(
	'recent calls show on load with a link to the archive; playing shows progress and volume',
	{ timeout: 90_000 },
	async () => {
		const older = [await upload(100), await upload(101)];
		const { page, console } = await openPhone();
		await expect.poll(() => ids(page, 'data-received-ids')).toEqual(older.slice().reverse());
		expect(await page.getByRole('link', { name: 'Browse all calls' }).getAttribute('href')).toBe(
			'/calls'
		);
		// Recent calls are shown, not queued: starting plays only what arrives from now on.
		await page.getByRole('button', { name: 'Start listening' }).click();
		expect(await page.getByTestId('queue-length').textContent()).toBe('0 queued');
		const live = await firstLiveCall(page);
		await expect
			.poll(() => page.getByTestId('scanner').getAttribute('data-current-id'))
			.toBe(String(live));
		await page.getByTestId('volume').fill('0.4');
		expect((await element(page)).volume).toBeCloseTo(0.4);
		await expect.poll(() => page.getByTestId('position').textContent()).toMatch(/^0:0\d \/ 0:02$/);
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(live);
		// Volume is a device setting: it survives a reload.
		await page.reload();
		await page.getByRole('button', { name: 'Start listening' }).click();
		expect((await element(page)).volume).toBeCloseTo(0.4);
		expect(console.problems()).toEqual([]);
	}
);

it(
	'media session shows the playing call; its handlers pause, play, skip and replay; speed keeps pitch',
	{ timeout: 120_000 },
	async () => {
		const { page, console } = await openPhone();
		await page.getByTestId('speed').selectOption('1.5');
		await page.getByRole('button', { name: 'Start listening' }).click();
		await page.getByRole('button', { name: '❚❚ Pause' }).click();
		await firstLiveCall(page);
		await expect.poll(() => page.getByTestId('queue-length').textContent()).toBe('1 queued');
		const second = await upload(101);
		const third = await upload(100);
		await expect.poll(() => page.getByTestId('queue-length').textContent()).toBe('3 queued');

		const media = (action: string, details?: unknown) =>
			page.evaluate(
				([a, d]) =>
					(window as unknown as { __media: Record<string, (d?: unknown) => void> }).__media[
						a as string
					]({ action: a, ...(d as object) }),
				[action, details] as const
			);
		const session = () =>
			page.evaluate(() => ({
				title: navigator.mediaSession.metadata?.title,
				artist: navigator.mediaSession.metadata?.artist,
				artwork: navigator.mediaSession.metadata?.artwork.map((a) => a.src),
				state: navigator.mediaSession.playbackState
			}));
		const current = () => page.getByTestId('scanner').getAttribute('data-current-id');

		await media('play');
		await expect.poll(() => session().then((s) => s.state)).toBe('playing');
		const first = Number(await current());
		const s = await session();
		expect(s.title).toBe('TG 100 — Police Main');
		expect(s.artist).toBe('Metro County');
		expect(s.artwork?.[0]).toMatch(/\/icons\/icon-192\.png$/);
		const el = await element(page);
		expect([el.rate, el.defaultRate, el.pitch]).toEqual([1.5, 1.5, true]);

		// next track = skip: the second call plays, the first is left unfinished.
		await media('nexttrack');
		await expect.poll(current).toBe(String(second));
		await expect.poll(() => session().then((x) => x.title)).toBe('TG 101 — Fire Dispatch');
		// pause and play from the OS controls
		await media('pause');
		await expect.poll(() => page.getByTestId('led').getAttribute('data-state')).toBe('paused');
		expect((await element(page)).paused).toBe(true);
		expect((await session()).state).toBe('paused');
		await media('play');
		await expect.poll(() => element(page).then((e) => e.paused)).toBe(false);
		// previous track = replay: the same call from its start.
		await media('seekto', { seekTime: 1 });
		await media('previoustrack');
		await expect.poll(current).toBe(String(second));
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(third);
		const played = await ids(page, 'data-played-ids');
		expect(played).toContain(second);
		expect(played).not.toContain(first);

		// The speed applies to every following call and stays after a reload.
		expect((await element(page)).rate).toBe(1.5);
		await page.reload();
		expect(await page.getByTestId('speed').inputValue()).toBe('1.5');
		expect((await element(page)).rate).toBe(1.5);
		expect(console.problems()).toEqual([]);
	}
);

it(
	'a pause by the device is shown with its reason and Play resumes; a call whose audio fails says so',
	{ timeout: 90_000 },
	async () => {
		const { page, console } = await openPhone();
		await page.getByRole('button', { name: 'Start listening' }).click();
		const live = await firstLiveCall(page);
		await expect
			.poll(() => page.getByTestId('scanner').getAttribute('data-current-id'))
			.toBe(String(live));
		await expect.poll(() => element(page).then((e) => e.paused)).toBe(false);
		// What Android does on a phone call or unplugged headphones: the element is paused from outside.
		await page.getByTestId('scanner-audio').evaluate((a: HTMLAudioElement) => a.pause());
		await page.getByTestId('notice').and(page.locator('[data-kind=interrupted]')).waitFor();
		expect(await page.getByTestId('notice').textContent()).toContain('Press Play to resume');
		expect(await page.getByTestId('led').getAttribute('data-state')).toBe('paused');
		await page.getByRole('button', { name: '▶ Play' }).click();
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(live);
		expect(await page.getByTestId('notice').count()).toBe(0);

		// The audio is gone from the server: the page names the call it skipped.
		await page.route('**/api/calls/*/audio', (route) =>
			route.fulfill({ status: 404, body: 'not found' })
		);
		const broken = await upload(101);
		await page.getByTestId('notice').and(page.locator('[data-kind=failed]')).waitFor();
		expect(await page.getByTestId('notice').textContent()).toMatch(
			/The audio of TG 101 at .* could not be loaded, so it was skipped\./
		);
		expect(await ids(page, 'data-played-ids')).not.toContain(broken);
		expect(console.problems().filter((m) => !/404/.test(m))).toEqual([]);
	}
);

it(
	'the queue age limit and "jump to live" drop exactly the calls they say; auto speed-up follows the queue',
	{ timeout: 120_000 },
	async () => {
		const { page, console } = await openPhone();
		await page.getByRole('button', { name: 'Start listening' }).click();
		await page.getByRole('button', { name: '❚❚ Pause' }).click();
		const warmup = await firstLiveCall(page);
		// Queued while paused: two calls recorded 10 and 7 minutes ago, three in the last minute.
		const stale = [await upload(300, 600), await upload(301, 420)];
		const fresh = [await upload(100, 40), await upload(101, 30), await upload(100, 20)];
		await expect.poll(() => page.getByTestId('queue-length').textContent()).toBe('6 queued');

		// Speed up while more than 4 wait: 6 are queued.
		await page.getByLabel(/Speed up to 1.5× while more than/).check();
		await page.getByLabel('Calls queued before speeding up').fill('4');
		await page.getByLabel('Calls queued before speeding up').blur();
		await expect.poll(() => element(page).then((e) => e.rate)).toBe(1.5);

		await page.getByRole('radio', { name: '5 min', exact: true }).check();
		await expect.poll(() => page.getByTestId('queue-length').textContent()).toBe('4 queued');
		expect(await page.getByTestId('notice').textContent()).toContain(
			'Dropped 2 queued calls older than 5 min.'
		);
		expect(await page.getByTestId('scanner').getAttribute('data-dropped')).toBe('2');
		// Four wait now, not more than four: normal speed.
		await expect.poll(() => element(page).then((e) => e.rate)).toBe(1);

		// Jump to live: the newest plays, the other three queued calls are skipped.
		const jump = page.getByTestId('jump-to-live');
		expect(await jump.textContent()).toBe('Jump to live (skip 3)');
		await jump.click();
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(fresh[2]);
		expect(await page.getByTestId('queue-length').textContent()).toBe('0 queued');
		const current = await page.evaluate(
			() => (window as unknown as { __current: number[] }).__current
		);
		expect(current).toEqual([fresh[2]]);
		for (const id of [warmup, ...stale, fresh[0], fresh[1]])
			expect(await ids(page, 'data-played-ids')).not.toContain(id);

		// The limit is a device setting: after a reload it is still 5 minutes.
		await page.reload();
		expect(await page.getByRole('radio', { name: '5 min', exact: true }).isChecked()).toBe(true);
		await screenshot(page, 'phone-catch-up-light');
		expect(console.problems()).toEqual([]);
	}
);

it(
	'a page hidden and frozen for a minute while calls arrive plays them all, in order, once',
	{ timeout: 240_000 },
	async () => {
		const { context, page, console } = await openPhone();
		await page.getByRole('button', { name: 'Start listening' }).click();
		const warmup = await firstLiveCall(page);
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(warmup);
		const before = await page.evaluate(
			() => (window as unknown as { __current: number[] }).__current
		);

		// The page is hidden, then the OS freezes it. Headless Chromium keeps every tab visible, so
		// the hiding is announced by hand (visibilityState + visibilitychange). It accepts CDP's
		// freeze but, the page being visible, does not stop its timers, and its offline emulation
		// leaves an open WebSocket alone; so the server restarts meanwhile: the socket drops and
		// the calls of that minute can only arrive by resuming from the last tracked id.
		const cdp = await context.newCDPSession(page);
		const setVisibility = (state: 'hidden' | 'visible') =>
			page.evaluate((value) => {
				Object.defineProperty(document, 'visibilityState', { value, configurable: true });
				Object.defineProperty(document, 'hidden', {
					value: value === 'hidden',
					configurable: true
				});
				document.dispatchEvent(new Event('visibilitychange'));
			}, state);
		await setVisibility('hidden');
		await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
		await server.restart();

		const uploaded: number[] = [];
		const end = Date.now() + 60_000;
		while (Date.now() < end) {
			uploaded.push(await upload(100 + (uploaded.length % 3)));
			await new Promise((r) => setTimeout(r, 8_000));
		}
		expect(uploaded.length).toBeGreaterThanOrEqual(7);

		await cdp.send('Page.setWebLifecycleState', { state: 'active' });
		await setVisibility('visible');
		await expect
			.poll(() => ids(page, 'data-played-ids'), { timeout: 60_000 })
			.toEqual(expect.arrayContaining([warmup, ...uploaded]));
		const played = await ids(page, 'data-played-ids');
		expect(played.slice(played.indexOf(warmup))).toEqual([warmup, ...uploaded]);
		// Each became the current call exactly once, in order.
		const current = await page.evaluate(
			() => (window as unknown as { __current: number[] }).__current
		);
		expect(current).toEqual([...before, ...uploaded]);
		// Only the reconnect attempts made while the server restarted may show.
		expect(console.problems().filter((m) => !/ERR_CONNECTION_REFUSED/.test(m))).toEqual([]);
	}
);

it(
	'car mode: big controls, the screen kept on while listening and let go when paused',
	{ timeout: 90_000 },
	async () => {
		const { page, console } = await openPhone('dark');
		// The view changes at once, so the box is gone before a check() could verify it.
		await page.getByRole('checkbox', { name: /Car mode/ }).click();
		await page.getByTestId('car-view').waitFor();
		const wake = page.getByTestId('wake-lock');
		await page.getByRole('button', { name: 'Start listening' }).click();
		await firstLiveCall(page);
		// Held, or the reason the browser refused it: never silence about it.
		await expect
			.poll(async () =>
				(await wake.getAttribute('data-held')) === 'true'
					? 'held'
					: ((await wake.textContent()) ?? '').includes('refused')
						? 'refused'
						: 'pending'
			)
			.not.toBe('pending');
		const held = (await wake.getAttribute('data-held')) === 'true';
		if (held) expect(await wake.textContent()).toContain('Screen stays on while listening.');
		await screenshot(page, 'phone-car-dark');
		const button = (await page.getByRole('button', { name: '❚❚ Pause' }).boundingBox())!;
		expect(button.height).toBeGreaterThanOrEqual(90);
		await page.getByRole('button', { name: '❚❚ Pause' }).click();
		await expect.poll(() => wake.getAttribute('data-held')).toBe('false');
		await page.getByRole('button', { name: 'Leave car mode' }).click();
		await page.getByTestId('now-playing').waitFor();
		expect(console.problems()).toEqual([]);
	}
);

it(
	'when the browser blocks autoplay the page says so and its start button plays the call',
	{ timeout: 60_000 },
	async () => {
		// The test browser allows autoplay; a phone's refusal is played by the element's play()
		// rejecting as browsers do, once.
		const { context, page } = await openPhone();
		await page.getByRole('button', { name: 'Start listening' }).click();
		await page.evaluate(() => {
			const play = HTMLMediaElement.prototype.play;
			HTMLMediaElement.prototype.play = function () {
				HTMLMediaElement.prototype.play = play;
				return Promise.reject(new DOMException('play() needs a gesture', 'NotAllowedError'));
			};
		});
		const blocked = await firstLiveCall(page);
		await page.getByTestId('notice').and(page.locator('[data-kind=autoplay]')).waitFor();
		expect(await page.getByTestId('notice').textContent()).toContain(
			'The browser blocked sound until you tap.'
		);
		await page.getByRole('button', { name: 'Start listening' }).click();
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(blocked);
		expect(await page.getByTestId('notice').count()).toBe(0);
		await context.close();
	}
);

it(
	'car mode says so when the browser refuses to keep the screen on',
	{ timeout: 60_000 },
	async () => {
		// Headless Chromium grants the lock; a refusing browser (battery saver, iOS before 18.4 as
		// an installed app) is played by rejecting the request as browsers do.
		const { context, page } = await openPhone();
		await page.evaluate(() => {
			navigator.wakeLock.request = () =>
				Promise.reject(new DOMException('Wake Lock permission request denied', 'NotAllowedError'));
		});
		await page.getByRole('checkbox', { name: /Car mode/ }).click();
		await page.getByRole('button', { name: 'Start listening' }).click();
		const wake = page.getByTestId('wake-lock');
		await expect
			.poll(() => wake.textContent())
			.toContain(
				'The browser refused to keep the screen on (Wake Lock permission request denied). The screen may turn off; audio keeps playing.'
			);
		expect(await wake.getAttribute('data-held')).toBe('false');
		await context.close();
	}
);

/** Width and height of a PNG, from its IHDR chunk. */
const pngSize = (bytes: Buffer) => {
	expect(bytes.subarray(1, 4).toString()).toBe('PNG');
	return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
};

it(
	'installable: a valid linked manifest with real icons; the service worker serves the shell offline, never the API',
	{ timeout: 120_000 },
	async () => {
		const { context, page, console } = await openPhone();
		const href = await page.locator('link[rel=manifest]').getAttribute('href');
		const reply = await page.request.get(new URL(href!, server.url).href);
		expect(reply.headers()['content-type']).toMatch(/application\/manifest\+json/);
		const manifest = await reply.json();
		expect(manifest).toMatchObject({
			name: 'Squelch',
			start_url: '/',
			display: 'standalone',
			theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/)
		});
		const sizes = new Set<string>();
		for (const icon of manifest.icons.filter((i: { type: string }) => i.type === 'image/png')) {
			const bytes = await (await page.request.get(new URL(icon.src, server.url).href)).body();
			expect(pngSize(bytes)).toBe(icon.sizes);
			sizes.add(`${icon.sizes} ${icon.purpose}`);
		}
		expect([...sizes].sort()).toEqual([
			'192x192 any',
			'192x192 maskable',
			'512x512 any',
			'512x512 maskable'
		]);
		const themes = await page
			.locator('meta[name=theme-color]')
			.evaluateAll((m) => m.map((e) => `${e.getAttribute('media')} ${e.getAttribute('content')}`));
		expect(themes).toEqual([
			'(prefers-color-scheme: light) #f6f7f9',
			'(prefers-color-scheme: dark) #0d1117'
		]);
		const apple = await page.locator('link[rel=apple-touch-icon]').getAttribute('href');
		expect(pngSize(await (await page.request.get(new URL(apple!, server.url).href)).body())).toBe(
			'180x180'
		);

		// The worker installs and takes control of the page.
		await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
		await expect
			.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 20_000 })
			.toBe(true);
		// Play a call so audio and API replies have passed through the worker.
		await page.getByRole('button', { name: 'Start listening' }).click();
		const live = await firstLiveCall(page);
		await expect.poll(() => ids(page, 'data-played-ids'), { timeout: 20_000 }).toContain(live);
		const cached = await page.evaluate(async () => {
			const urls: string[] = [];
			for (const name of await caches.keys())
				for (const req of await (await caches.open(name)).keys())
					urls.push(new URL(req.url).pathname);
			return urls;
		});
		expect(cached).toContain('/');
		expect(cached).toContain('/manifest.webmanifest');
		expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);

		// Offline: the shell still opens (from the cache), API requests fail as offline.
		await context.setOffline(true);
		await page.goto(`${server.url}/calls`);
		await expect.poll(() => page.title()).toMatch(/Squelch/);
		expect(await page.locator('body').textContent()).not.toBe('');
		const health = await page.evaluate(() =>
			fetch('/api/health').then(
				(r) => `status ${r.status}`,
				(e: Error) => `failed ${e.name}`
			)
		);
		expect(health).toBe('failed TypeError');
		const audioFetch = await page.evaluate(
			(url) =>
				fetch(url).then(
					(r) => `status ${r.status}`,
					(e: Error) => `failed ${e.name}`
				),
			`/api/calls/${live}/audio`
		);
		expect(audioFetch).toBe('failed TypeError');
		await screenshot(page, 'phone-offline-light');
		await context.setOffline(false);
		expect(
			console.problems().filter((m) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::/.test(m))
		).toEqual([]);
	}
);

it(
	'a newly deployed build is offered with "Reload to update" and replaces the old one after the reload',
	{ timeout: 120_000 },
	async () => {
		// Its own server, so it can be "upgraded": stopped and started again on the same origin and
		// data from a copy of the app whose service worker differs, as a new build's does.
		const first = await startServer();
		await signInAdmin(first.url);
		const context = await browser.newContext({ ...PHONE });
		contexts.push(context);
		const page = await signIn(context, first.url, ADMIN.username, ADMIN.password);
		const console = watchConsole(page);
		await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
		await expect
			.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 20_000 })
			.toBe(true);
		expect(await page.getByTestId('update-prompt').count()).toBe(0);

		const next = copyApp((build) => {
			const worker = path.join(build, 'client', 'service-worker.js');
			fs.appendFileSync(worker, '\n// the next build\n');
			// adapter-node serves precompressed copies when it finds them: they are the old build.
			for (const ext of ['.gz', '.br']) fs.rmSync(worker + ext, { force: true });
		});
		await first.stop();
		const second = await startServer({ dataDir: first.dataDir, port: first.port, root: next });
		try {
			await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
			await page.getByTestId('update-prompt').waitFor({ timeout: 30_000 });
			await screenshot(page, 'phone-update-prompt-light');
			const before = await page.evaluate(() => performance.timeOrigin);
			await page.getByRole('button', { name: 'Reload to update' }).click();
			await expect
				.poll(() => page.evaluate(() => performance.timeOrigin).catch(() => before), {
					timeout: 20_000
				})
				.not.toBe(before);
			await page.getByTestId('scanner').waitFor();
			expect(await page.getByTestId('update-prompt').count()).toBe(0);
			const worker = await page.evaluate(async () => {
				const r = await navigator.serviceWorker.getRegistration();
				const text = await (await fetch(r!.active!.scriptURL)).text();
				return { waiting: !!r?.waiting, next: text.includes('the next build') };
			});
			expect(worker).toEqual({ waiting: false, next: true });
			// The socket could not reconnect while the server was being replaced; nothing else.
			expect(console.problems().filter((m) => !/ERR_CONNECTION_REFUSED/.test(m))).toEqual([]);
		} finally {
			await second.stop();
		}
	}
);

it(
	'screenshots: the phone scanner in light and dark, the install prompt state',
	{ timeout: 120_000 },
	async () => {
		for (const scheme of ['light', 'dark'] as const) {
			const { page, context, console } = await openPhone(scheme);
			await page.getByRole('button', { name: 'Start listening' }).click();
			await firstLiveCall(page);
			await screenshot(page, `phone-scanner-${scheme}`);
			expect(console.problems()).toEqual([]);
			await context.close();
		}

		// Chromium's own installability check (what makes Android Chrome offer "Install app"); it
		// fires no beforeinstallprompt here, so the page's own button cannot show.
		const android = await openPhone();
		const cdp = await android.context.newCDPSession(android.page);
		const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
		// A test browser context is incognito, where Chromium installs nothing; no other objection.
		expect(installabilityErrors.map((e) => e.errorId)).toEqual(['in-incognito']);
		const { errors } = await cdp.send('Page.getAppManifest');
		expect(errors).toEqual([]);

		// Safari has no install event: on an iPhone the page tells how to add it to the home screen.
		const context = await browser.newContext({
			...PHONE,
			userAgent:
				'Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1'
		});
		contexts.push(context);
		const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
		const install = page.getByTestId('install');
		await install.waitFor();
		expect(await install.getAttribute('data-state')).toBe('ios');
		expect(await install.textContent()).toContain('Add to Home Screen');
		await install.scrollIntoViewIfNeeded();
		await page.screenshot({
			path: path.join(SCREENSHOT_DIR, 'phone-install-state-ios-light.png')
		});
	}
);

it(
	'archive and admin pages: phone filters folded, desktop player leaves the last row visible, talkgroup table fits at 1280 px',
	{ timeout: 120_000 },
	async () => {
		const phone = await openPhone();
		await phone.page.getByRole('link', { name: 'Archive' }).click();
		await phone.page.getByTestId('archive-call').first().waitFor();
		expect(await phone.page.getByTestId('archive-filters').getAttribute('open')).toBeNull();
		expect(await phone.page.getByLabel('Talkgroup').isVisible()).toBe(false);
		await phone.page.getByText(/^Filters/).click();
		expect(await phone.page.getByLabel('Talkgroup').isVisible()).toBe(true);
		await screenshot(phone.page, 'archive-filters-phone-light');

		const desktop = await openPhone('light', DESKTOP);
		await desktop.page.getByRole('link', { name: 'Archive' }).click();
		await desktop.page.getByTestId('archive-call').first().waitFor();
		expect(await desktop.page.getByTestId('archive-filters').getAttribute('open')).not.toBeNull();
		// Load every page of results, then play the last row.
		await expect
			.poll(
				async () => {
					await desktop.page.mouse.wheel(0, 10_000);
					return desktop.page.getByText('No more calls.').isVisible();
				},
				{ timeout: 30_000 }
			)
			.toBe(true);
		const last = desktop.page.getByTestId('archive-call').last();
		await last.getByRole('button', { name: /^Play / }).click();
		expect(await last.getAttribute('aria-current')).toBe('true');
		expect(await last.getByText('Playing').isVisible()).toBe(true);
		await desktop.page.mouse.wheel(0, 10_000);
		await expect
			.poll(async () => {
				const row = (await last.boundingBox())!;
				const player = (await desktop.page.getByTestId('archive-player').boundingBox())!;
				return row.y + row.height <= player.y;
			})
			.toBe(true);
		await screenshot(desktop.page, 'archive-playing-desktop-light');

		await desktop.page.goto(`${server.url}/admin/systems`);
		const wrap = desktop.page.locator('.table-wrap').first();
		await wrap.waitFor();
		const fits = await wrap.evaluate((w) => w.scrollWidth <= w.clientWidth);
		expect(fits).toBe(true);
		expect(await desktop.page.getByText('Swipe the table sideways').first().isVisible()).toBe(
			false
		);
		await phone.page.goto(`${server.url}/admin/systems`);
		await phone.page.locator('.table-wrap').first().waitFor();
		expect(await phone.page.getByText('Swipe the table sideways').first().isVisible()).toBe(true);
		expect(phone.console.problems()).toEqual([]);
		expect(desktop.console.problems()).toEqual([]);
	}
);

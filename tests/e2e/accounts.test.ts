import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Route } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';

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

it('a new user creates the admin, signs in from two browsers, sees both devices and revokes one', async () => {
	// First run: every page leads to /setup.
	const desktopContext = await browser.newContext(DESKTOP);
	const desktop = await desktopContext.newPage();
	const desktopConsole = watchConsole(desktop);
	await desktop.goto(`${server.url}/`);
	await desktop.waitForURL(`${server.url}/setup`);
	await screenshot(desktop, 'setup-desktop');
	await desktop.getByLabel('Admin username').fill('admin');
	await desktop.getByLabel('Password', { exact: false }).first().fill('correct horse battery');
	await desktop.getByLabel('Repeat password').fill('correct horse battery');
	await desktop.getByRole('button', { name: 'Create admin and sign in' }).click();
	await desktop.waitForURL(`${server.url}/`);

	// A second browser profile (the phone) signs in too.
	const phoneContext = await browser.newContext(PHONE);
	const phone = await signIn(phoneContext, server.url, 'admin', 'correct horse battery');
	const phoneConsole = watchConsole(phone);
	await screenshot(phone, 'home-phone');

	// A reload restores the session from the cookie without asking to sign in.
	await phone.reload();
	await expect.poll(() => phone.getByRole('link', { name: 'Account' }).isVisible()).toBe(true);
	expect(new URL(phone.url()).pathname).toBe('/');

	await desktop.goto(`${server.url}/account`);
	const devices = desktop.getByTestId('device');
	await expect.poll(() => devices.count()).toBe(2);
	await expect
		.poll(() => desktop.getByTestId('device').filter({ hasText: 'Chrome on Android' }).count())
		.toBe(1);
	await screenshot(desktop, 'account-desktop');

	await desktop.getByRole('button', { name: 'Sign out Chrome on Android' }).click();
	// It asks first: Cancel keeps the device.
	const confirm = desktop.getByRole('dialog', { name: 'Sign out Chrome on Android?' });
	await confirm.getByRole('button', { name: 'Cancel' }).click();
	expect(await devices.count()).toBe(2);
	await desktop.getByRole('button', { name: 'Sign out Chrome on Android' }).click();
	await confirm.getByRole('button', { name: 'Sign it out' }).click();
	await expect.poll(() => devices.count()).toBe(1);

	// The phone is on the scanner, whose live socket the server closes (4003): one refused refresh
	// later it shows why it was signed out, without any action of its own.
	await phone.getByTestId('signed-out').waitFor();
	expect(await phone.getByTestId('signed-out-reason').textContent()).toBe(
		'This device was signed out from another of your devices.'
	);
	await screenshot(phone, 'signed-out-phone');

	expect(desktopConsole.problems()).toEqual([]);
	// The refused refresh is an expected 401 on the phone; nothing else may show.
	expect(phoneConsole.problems().filter((m) => !m.includes('401'))).toEqual([]);
	await desktopContext.close();
	await phoneContext.close();
});

it('a wrong password shows the error, and the login page is usable on a phone', async () => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	await page.goto(`${server.url}/login`);
	await page.getByLabel('Username').fill('admin');
	await page.getByLabel('Password').fill('wrong password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	expect(await page.getByTestId('login-error').textContent()).toBe('invalid username or password');
	await screenshot(page, 'login-error-phone');
	await context.close();
});

/**
 * Opens /login with the app's JavaScript held back, so what is on screen is the server's HTML, the
 * stylesheet and the inline theme script of src/app.html: the first paint. Then lets the app start.
 */
async function firstPaint(
	options: typeof PHONE | typeof DESKTOP,
	colorScheme: 'light' | 'dark',
	stored: string | null,
	name: string
) {
	const context = await browser.newContext({ ...options, colorScheme });
	if (stored) await context.addInitScript((t) => localStorage.setItem('squelch-theme', t), stored);
	const held: Route[] = [];
	let holding = true;
	await context.route('**/_app/immutable/**/*.js', (route) =>
		holding ? void held.push(route) : route.continue()
	);
	const page = await context.newPage();
	const watched = watchConsole(page);
	await page.goto(`${server.url}/login`, { waitUntil: 'domcontentloaded' });
	await page.waitForFunction(() => document.styleSheets.length > 0);
	const painted = await page.evaluate(() => ({
		theme: document.documentElement.dataset.theme,
		background: getComputedStyle(document.documentElement).backgroundColor
	}));
	const heldBack = held.length;
	await screenshot(page, `first-paint-${name}`);

	holding = false;
	for (const route of held.splice(0)) await route.continue();
	await page.getByLabel('Username').waitFor();
	// The app, once started, keeps what the inline script chose.
	const themeAfterStart = await page.evaluate(() => document.documentElement.dataset.theme);
	const problems = watched.problems();
	await context.close();
	return { painted, heldBack, themeAfterStart, problems };
}

const DARK_BG = 'rgb(13, 17, 23)';
const LIGHT_BG = 'rgb(246, 247, 249)';

it('paints a dark-theme device dark before any of the app code runs (phone and desktop)', async () => {
	for (const [name, options] of [
		['dark-phone', PHONE],
		['dark-desktop', DESKTOP]
	] as const) {
		const seen = await firstPaint(options, 'light', 'dark', name);
		expect(seen.heldBack).toBeGreaterThan(0);
		expect(seen.painted).toEqual({ theme: 'dark', background: DARK_BG });
		expect(seen.themeAfterStart).toBe('dark');
		expect(seen.problems).toEqual([]);
	}
});

it('resolves "system" before first paint, and a light choice stays light on a dark system', async () => {
	const system = await firstPaint(DESKTOP, 'dark', null, 'system-dark-desktop');
	expect(system.painted).toEqual({ theme: 'dark', background: DARK_BG });
	expect(system.themeAfterStart).toBe('dark');

	const light = await firstPaint(PHONE, 'dark', 'light', 'light-on-dark-phone');
	expect(light.heldBack).toBeGreaterThan(0);
	expect(light.painted).toEqual({ theme: 'light', background: LIGHT_BG });
	expect(light.themeAfterStart).toBe('light');
	expect(light.problems).toEqual([]);
});

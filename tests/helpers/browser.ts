import fs from 'node:fs';
import path from 'node:path';
import {
	chromium,
	type Browser,
	type BrowserContext,
	type BrowserContextOptions,
	type Page
} from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../e2e/screenshots');

const LAUNCH = {
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: [
		'--headless',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--autoplay-policy=no-user-gesture-required'
	]
};

/** Debian's Chromium, headless, with the flags this sandbox needs (no background networking). */
export function launchBrowser(): Promise<Browser> {
	return chromium.launch(LAUNCH);
}

/**
 * The same Chromium with a real profile in `dir` (a persistent context), for what the browser
 * treats differently in incognito-like contexts (the Push API). Closing the context ends it.
 */
export function launchProfile(
	dir: string,
	options: BrowserContextOptions
): Promise<BrowserContext> {
	return chromium.launchPersistentContext(dir, { ...LAUNCH, ...options });
}

export const DESKTOP = { viewport: { width: 1280, height: 800 } };
export const PHONE = {
	viewport: { width: 390, height: 844 },
	isMobile: true,
	hasTouch: true,
	userAgent:
		'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36'
};

/** Every console message and page error of a page, for "the console stays clean" assertions. */
export function watchConsole(page: Page) {
	const messages: string[] = [];
	page.on('console', (msg) => messages.push(`${msg.type()}: ${msg.text()}`));
	page.on('pageerror', (err) => messages.push(`pageerror: ${err.message}`));
	return {
		messages,
		/** Warnings, errors and failed requests: anything a user's console would flag. */
		problems: () => messages.filter((m) => /^(warning|error|pageerror)/.test(m))
	};
}

export async function screenshot(page: Page, name: string) {
	fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
	await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export async function signIn(
	context: BrowserContext,
	baseUrl: string,
	username: string,
	password: string
): Promise<Page> {
	const page = await context.newPage();
	await page.goto(`${baseUrl}/login`);
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((url) => url.pathname === '/');
	return page;
}

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
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

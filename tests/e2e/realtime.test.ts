import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, watchConsole } from '../helpers/browser';
import { signIn, startLiveServer, type LiveServer } from '../helpers/live-server';
import type { Probe } from './ws-probe/probe';

/** The probe page's handle, as the page puts it on window. */
type ProbeWindow = { probe: Probe };

// In headless Chromium: the app's realtime client is made to close sockets that are still
// handshaking — a server-requested reconnect cut short by a logout, a logout while the first socket
// connects — over a network slow enough that sockets stay CONNECTING for a while. With the app's
// safe WebSocket the console stays clean; the same page with the browser's plain WebSocket prints
// the warning, which shows the test can see it.

const WARNING = /closed before the connection is established/;
let server: LiveServer;
let browser: Browser;
let token: string;
let userId: number;

beforeAll(async () => {
	// The probe page's script, bundled with Vite (no app config: just the probe and what it imports).
	const output = await build({
		configFile: false,
		logLevel: 'silent',
		build: {
			write: false,
			minify: false,
			lib: {
				entry: path.resolve(import.meta.dirname, 'ws-probe/probe.ts'),
				formats: ['es'],
				fileName: 'probe'
			}
		}
	});
	const outputs = (Array.isArray(output) ? output : [output]) as Array<{
		output: Array<{ type: string; code?: string }>;
	}>;
	const script = outputs[0].output.find((o) => o.type === 'chunk')!.code!;
	server = await startLiveServer({
		upgradeDelayMs: 400,
		handler(req, res) {
			if (req.url === '/probe.js') {
				res.setHeader('content-type', 'text/javascript');
				return res.end(script);
			}
			res.setHeader('content-type', 'text/html');
			res.end(
				'<!doctype html><html><head><title>ws probe</title></head><body><script type="module" src="/probe.js"></script></body></html>'
			);
		}
	});
	({ accessToken: token, userId } = await signIn(server, 'probe'));
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await server?.close();
});

/** Runs the scenarios in a fresh page with the given WebSocket class; returns the page's console. */
async function runScenarios(mode: 'safe' | 'plain') {
	const context = await browser.newContext();
	const page: Page = await context.newPage();
	const console = watchConsole(page);
	await page.goto(`http://127.0.0.1:${server.port}/probe`);
	await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });

	for (let i = 0; i < 3; i++) {
		await page.evaluate(([m, t]) => (window as unknown as ProbeWindow).probe.connected(m, t), [
			mode,
			token
		] as const);
		// Armed in the page before the server acts, so the reconnect cannot slip past the hook.
		await page.evaluate(() => (window as unknown as ProbeWindow).probe.armCloseOnNextSocket());
		// The user's access changed: the server asks their socket to reconnect, and the new
		// socket's handshake takes 400 ms.
		server.svc.bus.publish('access.changed', { userId });
		await page.evaluate(() => (window as unknown as ProbeWindow).probe.closed());
	}
	for (let i = 0; i < 2; i++) {
		await page.evaluate(
			([m, t]) => (window as unknown as ProbeWindow).probe.logoutDuringConnect(m, t),
			[mode, token] as const
		);
	}
	await page.waitForTimeout(1_000); // let late console messages arrive
	const sockets = await page.evaluate(
		() => (window as unknown as ProbeWindow).probe.sockets() as number
	);
	const log = await page.evaluate(() => (window as unknown as ProbeWindow).probe.log as string[]);
	await context.close();
	return { messages: console.messages, sockets, log };
}

it('the safe WebSocket never prints "closed before the connection is established"', async () => {
	const { messages, sockets, log } = await runScenarios('safe');
	expect(sockets).toBeGreaterThanOrEqual(8); // 3 × (first + reconnect) + 2 logouts
	expect(messages.filter((m) => WARNING.test(m))).toEqual([]);
	expect(messages.filter((m) => /^(error|warning|pageerror)/.test(m))).toEqual([]);
	expect(log).toEqual([]);
});

it('(control) the same page with the plain WebSocket does print it', async () => {
	const { messages } = await runScenarios('plain');
	expect(messages.filter((m) => WARNING.test(m)).length).toBeGreaterThan(0);
});

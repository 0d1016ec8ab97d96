import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN, trpc } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';

// `npm run dev`: the WebSocket works on Vite's dev server, shares the bus and the database with
// the HTTP side (one module graph), and Vite's own HMR socket is left alone.

const root = path.resolve(import.meta.dirname, '../..');
let child: ChildProcess;
let baseUrl = '';
let log = '';

async function freePort(): Promise<number> {
	const srv = net.createServer();
	await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
	const port = (srv.address() as net.AddressInfo).port;
	await new Promise((r) => srv.close(r));
	return port;
}

beforeAll(async () => {
	const port = await freePort();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-dev-'));
	child = spawn(
		process.execPath,
		[
			path.join(root, 'node_modules/vite/bin/vite.js'),
			'dev',
			'--host',
			'127.0.0.1',
			'--port',
			String(port),
			'--strictPort'
		],
		{
			cwd: root,
			env: { ...process.env, NODE_ENV: 'development', DATA_DIR: dataDir },
			stdio: ['ignore', 'pipe', 'pipe']
		}
	);
	child.stdout!.on('data', (c) => (log += c));
	child.stderr!.on('data', (c) => (log += c));
	baseUrl = `http://127.0.0.1:${port}`;
	await until(() => /ready in/.test(log), `dev server start:\n${log}`, 60_000);
	// The first request initialises the app (Kit dev is lazy).
	expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
});

afterAll(async () => {
	if (child && child.exitCode === null) {
		const exited = new Promise((r) => child.once('exit', r));
		child.kill('SIGTERM');
		await exited;
	}
});

it('serves tRPC subscriptions at /api/ws with the same bus as HTTP', async () => {
	const anon = trpc(baseUrl);
	await anon.setup.createAdmin.mutate(ADMIN);
	const auth = await anon.auth.login.mutate({ ...ADMIN, refreshTokenInBody: true });
	const live = liveClient(`${baseUrl.replace('http', 'ws')}/api/ws`, {
		token: async () => auth.accessToken,
		origin: baseUrl
	});
	const events: Array<{ type: string; username?: unknown }> = [];
	let started = false;
	const sub = live.client.admin.events.subscribe(
		{},
		{ onStarted: () => (started = true), onData: (e) => events.push(e.data) }
	);
	try {
		await until(() => started, 'subscribed', 20_000);
		// A mutation over HTTP reaches the subscription over the WebSocket: one bus, one database.
		await trpc(baseUrl, { token: auth.accessToken }).admin.users.create.mutate({
			username: 'hana',
			password: 'hana-password-1',
			role: 'listener'
		});
		await until(
			() => events.some((e) => e.type === 'user.created' && e.username === 'hana'),
			'live event from an HTTP mutation'
		);
	} finally {
		sub.unsubscribe();
		await live.close();
	}
});

it('leaves Vite’s HMR socket alone', async () => {
	const client = await (await fetch(`${baseUrl}/@vite/client`)).text();
	const token = client.match(/wsToken = "([^"]+)"/)?.[1];
	expect(token).toBeTruthy();
	const hmr = new WebSocket(`${baseUrl.replace('http', 'ws')}/?token=${token}`, 'vite-hmr');
	const first = await new Promise<string>((resolve, reject) => {
		hmr.once('message', (m) => resolve(m.toString()));
		hmr.once('error', reject);
	});
	expect(JSON.parse(first)).toMatchObject({ type: 'connected' });
	hmr.close();
	expect(log).not.toMatch(/tRPC ws .* failed/);
});

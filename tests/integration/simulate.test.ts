import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, type Client } from '../helpers/client';

const root = path.resolve(import.meta.dirname, '../..');
let server: TestServer;
let admin: Client;

beforeAll(async () => {
	server = await startServer();
	({ client: admin } = await signInAdmin(server.url));
});
afterAll(async () => {
	await server?.stop();
});

function simulate(args: string[]): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve) => {
		const child = spawn(
			process.execPath,
			[path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/simulate.ts', ...args],
			{ cwd: root }
		);
		let output = '';
		child.stdout.on('data', (c) => (output += c));
		child.stderr.on('data', (c) => (output += c));
		child.on('exit', (code) => resolve({ code, output }));
	});
}

it('plays the shipped samples into a running server, as both recorders, across several systems', async () => {
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'simulator' });
	// A trailing slash, as users type it: the recorders then post to //api/call-upload.
	const run = await simulate([
		'--url',
		`${server.url}/`,
		'--key',
		key,
		'--rate',
		'40',
		'--burst',
		'--burst-size',
		'8',
		'--count',
		'16'
	]);
	expect(run.output).toContain('Key test passed');
	expect(run.output).toContain('16 imported, 0 duplicate, 0 failed.');
	expect(run.code).toBe(0);

	const { items } = await admin.calls.search.query({ limit: 100 });
	expect(items).toHaveLength(16);
	expect(new Set(items.map((c) => c.system.id))).toEqual(new Set([1, 2, 3]));
	expect(new Set(items.map((c) => c.audioType))).toEqual(
		new Set(['audio/wav', 'audio/mp4', 'audio/mpeg'])
	);
	expect(items.every((c) => c.duration > 3)).toBe(true);
	const lakeside = items.find((c) => c.talkgroup.id === 5003);
	expect(lakeside?.source).toEqual({ id: 4303, alias: 'Rescue 3' });
});

it('stops with a clear message for a bad key or missing arguments', async () => {
	const bad = await simulate(['--url', server.url, '--key', 'sq_nope', '--count', '1']);
	expect(bad.code).toBe(1);
	expect(bad.output).toContain('The key test failed (401');
	const missing = await simulate(['--key', 'x']);
	expect(missing.code).toBe(2);
	expect(missing.output).toContain('--url is required');
});

it('without --count or --loop, plays the samples once and stops on its own', async () => {
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'one pass' });
	// The earlier run's calls are seconds old: this run's must not count as their duplicates.
	await admin.admin.settings.update.mutate({ duplicateWindowMs: 0 });
	const before = (await admin.calls.search.query({ limit: 100 })).items.length;
	const run = await simulate(['--url', server.url, '--key', key, '--rate', '40']);
	expect(run.code).toBe(0);
	expect(run.output).toContain('8 imported, 0 duplicate, 0 failed.');
	const after = (await admin.calls.search.query({ limit: 100 })).items.length;
	expect(after - before).toBe(8);
});

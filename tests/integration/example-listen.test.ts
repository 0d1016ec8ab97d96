import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import { until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// examples/listen.ts, the typed consumer from docs/api.md, run as a user would run it.
const root = path.resolve(import.meta.dirname, '../..');
let server: TestServer;
let key: string;

beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_ACCESS_TTL: '3' } });
	const { client } = await signInAdmin(server.url);
	await client.admin.users.create.mutate({
		username: 'ivy',
		password: 'ivy-password-1',
		role: 'listener'
	});
	({ key } = await client.admin.apiKeys.create.mutate({ name: 'recorder' }));
});
afterAll(() => server?.stop());

function runExample(env: Record<string, string>, args: string[] = []) {
	const child = spawn(
		process.execPath,
		[path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/listen.ts', ...args],
		{
			cwd: root,
			env: { ...process.env, SQUELCH_URL: server.url, ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		}
	);
	let output = '';
	child.stdout.on('data', (c) => (output += c));
	child.stderr.on('data', (c) => (output += c));
	const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
	return { child, output: () => output, exited };
}

it('type-checks against the exported AppRouter', () => {
	const result = spawnSync(
		process.execPath,
		[path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'examples/tsconfig.json'],
		{ cwd: root, encoding: 'utf8' }
	);
	expect(result.stdout + result.stderr).toBe('');
	expect(result.status).toBe(0);
});

it(
	'signs in, listens, and stays connected across token expiries',
	{ timeout: 60_000 },
	async () => {
		const run = runExample({ SQUELCH_USERNAME: 'ivy', SQUELCH_PASSWORD: 'ivy-password-1' });
		try {
			await until(() => run.output().includes('listening'), `listening:\n${run.output()}`, 20_000);
			expect(run.output()).toContain('signed in as ivy (listener)');
			// Three-second tokens: over ten seconds it refreshes and moves to fresh sockets several times.
			await new Promise((r) => setTimeout(r, 10_000));
			const lines = run.output().split('\n');
			expect(lines.filter((l) => l.startsWith('token refreshed')).length).toBeGreaterThanOrEqual(3);
			expect(lines.filter((l) => l === 'connected').length).toBeGreaterThanOrEqual(3);
			expect(run.output()).not.toMatch(/stopped:|signed out by the server/);
			run.child.kill('SIGTERM');
			expect(await run.exited).toBe(0);
		} finally {
			run.child.kill('SIGKILL');
		}
	}
);

it('stops with the reason when it cannot sign in', async () => {
	const run = runExample({ SQUELCH_USERNAME: 'ivy', SQUELCH_PASSWORD: 'wrong-password' });
	expect(await run.exited).toBe(1);
	expect(run.output()).toContain('stopped: UNAUTHORIZED: invalid username or password');
});

it(
	'downloads the audio of each call as it arrives, across token expiries',
	{ timeout: 60_000 },
	async () => {
		const audio = fixture(M4A);
		const run = runExample({ SQUELCH_USERNAME: 'ivy', SQUELCH_PASSWORD: 'ivy-password-1' }, [
			'--max-calls',
			'3'
		]);
		try {
			await until(() => run.output().includes('listening'), `listening:\n${run.output()}`, 20_000);
			// Three uploads two seconds apart: more than one three-second token lifetime.
			for (let i = 0; i < 3; i++) {
				const form = trunkRecorderForm({
					key,
					audio,
					audioName: M4A,
					audioType: 'audio/mp4',
					dateTime: 1_718_145_700 + i * 60,
					system: 11,
					systemLabel: 'County',
					talkgroup: 101,
					talkgroupLabel: 'Dispatch'
				});
				const reply = await post(`${server.url}/api/call-upload`, form);
				expect(reply.status, reply.body).toBe(200);
				await new Promise((r) => setTimeout(r, 2_000));
			}
			expect(await run.exited).toBe(0);
			const calls = run
				.output()
				.split('\n')
				.filter((l) => l.startsWith('call '));
			expect(calls).toHaveLength(3);
			for (const line of calls)
				expect(line).toMatch(
					new RegExp(`system=11 talkgroup=101 \\(Dispatch\\) audio=${audio.length} bytes$`)
				);
			expect(run.output()).not.toMatch(/stopped:|signed out by the server/);
		} finally {
			run.child.kill('SIGKILL');
		}
	}
);

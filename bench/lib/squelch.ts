import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../../src/lib/server/trpc/root';
import { spawnNode } from './children';

const root = path.resolve(import.meta.dirname, '../..');

export interface Squelch {
	url: string;
	pid: number;
	stop(): Promise<void>;
}

/**
 * `node scripts/start.js` (the `npm start` path, which builds first when the sources changed) on
 * loopback, an ephemeral port and a fresh data dir. With cpuProfDir the server writes a
 * .cpuprofile there when it stops.
 */
export async function startSquelch(
	opts: { cpuProfDir?: string; env?: Record<string, string> } = {}
): Promise<Squelch> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-bench-'));
	const profArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
	const child: ChildProcess = spawnNode([...profArgs, path.join(root, 'scripts/start.js')], {
		cwd: root,
		env: {
			...process.env,
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: '0',
			DATA_DIR: dataDir,
			// The listeners' tokens must outlast a full run on a busy machine (the scanner page
			// refreshes them; the bench's raw clients do not).
			SQUELCH_ACCESS_TTL: '7200',
			...opts.env
		}
	});
	let log = '';
	const port = await new Promise<number>((resolve, reject) => {
		// Generous: the first run builds the app.
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`server did not start:\n${log}`));
		}, 600_000);
		const onData = (chunk: Buffer) => {
			log += chunk.toString();
			if (/building/.test(chunk.toString())) process.stderr.write(chunk);
			const match = /Squelch listening on http:\/\/[^:]+:(\d+)/.exec(log);
			if (match) {
				clearTimeout(timer);
				resolve(Number(match[1]));
			}
		};
		child.stdout!.on('data', onData);
		child.stderr!.on('data', (c: Buffer) => {
			log += c.toString();
			if (log.length > 100_000) log = log.slice(-50_000);
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`server exited with ${code}:\n${log}`));
		});
	});
	return {
		url: `http://127.0.0.1:${port}`,
		pid: child.pid!,
		stop: () =>
			new Promise<void>((resolve) => {
				const done = () => {
					fs.rmSync(dataDir, { recursive: true, force: true });
					resolve();
				};
				if (child.exitCode !== null) return done();
				const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
				child.once('exit', () => {
					clearTimeout(timer);
					done();
				});
				child.kill('SIGTERM');
			})
	};
}

export function client(url: string, token?: string) {
	return createTRPCClient<AppRouter>({
		links: [
			httpLink({
				url: `${url}/api/trpc`,
				transformer: superjson,
				headers: () => (token ? { authorization: `Bearer ${token}` } : {})
			})
		]
	});
}

export interface BenchAccounts {
	admin: ReturnType<typeof client>;
	adminToken: string;
	uploadKey: string;
	/** Access tokens of the listener's sessions (one per subscriber process; sockets share them). */
	listenerTokens: string[];
	login(username: string): Promise<{ accessToken: string; refreshToken: string }>;
}

/**
 * First admin, an upload key with a high rate limit, every upload stored (no duplicate window),
 * and a listener signed in `sessions` times.
 */
export async function prepare(url: string, sessions: number): Promise<BenchAccounts> {
	const anon = client(url);
	const adminCreds = { username: 'admin', password: 'bench-admin-password' };
	await anon.setup.createAdmin.mutate(adminCreds);
	const adminAuth = await anon.auth.login.mutate(adminCreds);
	const admin = client(url, adminAuth.accessToken);
	await admin.admin.settings.update.mutate({
		duplicateWindowMs: 0,
		uploadRateLimitPerMinute: 100_000,
		// The fan-out, ingest and auth figures are without the audio pipeline; its own section
		// (bench/pipeline.ts) turns it on and off.
		audioPipeline: false
	});
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'bench', rateLimit: 100_000 });
	for (const username of ['listener', 'rotator']) {
		await admin.admin.users.create.mutate({
			username,
			password: `${username}-password-1`,
			role: 'listener'
		});
	}
	const login = async (username: string) => {
		const auth = await anon.auth.login.mutate({
			username,
			password: `${username}-password-1`,
			refreshTokenInBody: true
		});
		return { accessToken: auth.accessToken, refreshToken: auth.refreshToken! };
	};
	const listenerTokens: string[] = [];
	for (let i = 0; i < sessions; i++) listenerTokens.push((await login('listener')).accessToken);
	return { admin, adminToken: adminAuth.accessToken, uploadKey: key, listenerTokens, login };
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testDatabase } from '../../src/lib/server/core/config';
import { createPgDatabase } from '../../src/lib/server/core/db/test-db';
import { DATABASE_URL_FILE, serverDatabaseUrl } from './server-db';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * SQUELCH_TEST_DB=postgres: each new data dir gets a fresh, empty PostgreSQL database (the server
 * creates its tables on first start, as in production), kept across restarts of that server.
 * Its URL is left in the data dir for openServerDb (server-db.ts).
 */
async function databaseEnv(dataDir: string, env: Record<string, string> = {}) {
	if (env.DATABASE_URL !== undefined) return {};
	let url = serverDatabaseUrl(dataDir);
	const target = testDatabase();
	if (!url && target.kind === 'postgres') {
		url = await createPgDatabase(target.adminUrl);
		fs.writeFileSync(path.join(dataDir, DATABASE_URL_FILE), url);
	}
	return url ? { DATABASE_URL: url } : {};
}

export interface ServerExit {
	code: number | null;
	signal: NodeJS.Signals | null;
}

export interface TestServer {
	url: string;
	port: number;
	dataDir: string;
	/** Everything the server printed, for assertions on logs. */
	output: () => string;
	/** Sends the server process a signal (SIGUSR2: re-read the test clock file; SIGKILL: crash). */
	signal(name: NodeJS.Signals): void;
	/** SIGTERM, as a service manager stops it; resolves with how the process ended (SIGKILL after 10 s). */
	stop(): Promise<ServerExit | null>;
	/** Stop and start again on the same data dir and port. */
	restart(): Promise<void>;
}

/**
 * Starts the production server (`node scripts/start.js`, the `npm start` path) on an ephemeral
 * port with a fresh data dir, exactly as a user would run it.
 */
export async function startServer(
	opts: {
		env?: Record<string, string>;
		dataDir?: string;
		/** A port to reuse (e.g. the same origin after a "deploy"); default ephemeral. */
		port?: number;
		/** Another copy of the app to run (see `copyApp`); default this checkout. */
		root?: string;
	} = {}
): Promise<TestServer> {
	const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-test-'));
	const appRoot = opts.root ?? root;
	let port = opts.port ?? 0;
	let child: ChildProcess;
	let log = '';
	const database = await databaseEnv(dataDir, opts.env);

	const launch = () =>
		new Promise<void>((resolve, reject) => {
			child = spawn(process.execPath, [path.join(appRoot, 'scripts/start.js')], {
				cwd: appRoot,
				env: {
					...process.env,
					NODE_ENV: 'production',
					SQUELCH_SKIP_BUILD: '1',
					HOST: '127.0.0.1',
					PORT: String(port),
					DATA_DIR: dataDir,
					// The audio pipeline only where a test asks for it (tests/integration/audio-pipeline.test.ts):
					// elsewhere uploads are compared byte for byte with what was sent.
					FFMPEG_PATH: 'off',
					...database,
					...opts.env
				},
				stdio: ['ignore', 'pipe', 'pipe']
			});
			const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
			const onData = (chunk: Buffer) => {
				log += chunk.toString();
				const match = log.match(/Squelch listening on http:\/\/[^:]+:(\d+)/);
				if (match && !port) port = Number(match[1]);
				if (match) {
					clearTimeout(timer);
					resolve();
				}
			};
			child.stdout!.on('data', onData);
			child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
			child.once('exit', (code) => {
				clearTimeout(timer);
				reject(new Error(`server exited with ${code}:\n${log}`));
			});
		});

	const stop = () =>
		new Promise<ServerExit | null>((resolve) => {
			if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(null);
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			child.once('exit', (code, signal) => {
				clearTimeout(timer);
				resolve({ code, signal });
			});
			child.kill('SIGTERM');
		});

	await launch();
	const server: TestServer = {
		get url() {
			return `http://127.0.0.1:${port}`;
		},
		get port() {
			return port;
		},
		dataDir,
		output: () => log,
		signal: (name) => void child.kill(name),
		stop,
		async restart() {
			await stop();
			log = '';
			await launch();
		}
	};
	return server;
}

/**
 * A second copy of the built app (scripts, build, package.json; node_modules linked), as a deploy
 * of another version would leave it; `edit` changes its files before it is started.
 */
export function copyApp(edit: (buildDir: string) => void): string {
	const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-app-'));
	for (const name of ['scripts', 'build', 'package.json'])
		fs.cpSync(path.join(root, name), path.join(copy, name), { recursive: true });
	fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
	edit(path.join(copy, 'build'));
	return copy;
}

/** Runs the start script and resolves with its exit code and output (for bad-config tests). */
export function runServerExpectingExit(
	env: Record<string, string>
): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve) => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-test-'));
		const child = spawn(process.execPath, [path.join(root, 'scripts/start.js')], {
			cwd: root,
			env: {
				...process.env,
				SQUELCH_SKIP_BUILD: '1',
				HOST: '127.0.0.1',
				PORT: '0',
				DATA_DIR: dataDir,
				...env
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		child.stdout.on('data', (c) => (output += c));
		child.stderr.on('data', (c) => (output += c));
		const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
		child.on('exit', (code) => {
			clearTimeout(timer);
			resolve({ code, output });
		});
	});
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for the tests: a fresh cluster in a temp directory on a free
 * loopback port, run by a non-root user (`postgres` when we are root, as in CI), with an ordinary
 * role (LOGIN CREATEDB, no superuser) that the tests and the app connect as.
 */
export interface PgCluster {
	/** The ordinary role's URL, on its maintenance database (`postgres`). */
	url: string;
	stop(): void;
}

const SUPERUSER = 'squelch_test_admin';

export function binDir(): string {
	const base = '/usr/lib/postgresql';
	const versions = fs.existsSync(base)
		? fs
				.readdirSync(base)
				.filter((v) => fs.existsSync(path.join(base, v, 'bin/initdb')))
				.sort((a, b) => Number(b) - Number(a))
		: [];
	if (!versions.length)
		throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
	return path.join(base, versions[0], 'bin');
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

export async function startPgCluster(): Promise<PgCluster> {
	const bin = binDir();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-pg-'));
	const asRoot = process.getuid?.() === 0;
	if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
	// As root, every server binary runs as the postgres user (the server refuses root).
	const run = (cmd: string, args: string[]) =>
		execFileSync(
			asRoot ? 'runuser' : path.join(bin, cmd),
			asRoot ? ['-u', 'postgres', '--', path.join(bin, cmd), ...args] : args,
			{ stdio: 'pipe' }
		);
	const data = path.join(dir, 'data');
	run('initdb', ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--no-sync']);
	const port = await freePort();
	const options = [
		`-p ${port}`,
		`-k ${dir}`,
		'-c listen_addresses=127.0.0.1',
		'-c max_connections=400',
		// A throwaway cluster: durability is not what is tested.
		'-c fsync=off',
		'-c synchronous_commit=off',
		'-c full_page_writes=off'
	].join(' ');
	run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', 'start']);
	const stop = () => {
		try {
			run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
	try {
		const password = randomBytes(12).toString('hex');
		const admin = new pg.Client({ host: dir, port, user: SUPERUSER, database: 'postgres' });
		await admin.connect();
		try {
			// The app's role: an ordinary owner of its databases, with a password, over TCP.
			await admin.query(`create role squelch login createdb password '${password}'`);
		} finally {
			await admin.end();
		}
		return { url: `postgres://squelch:${password}@127.0.0.1:${port}/postgres`, stop };
	} catch (err) {
		stop();
		throw err;
	}
}

/**
 * For a test file that needs PostgreSQL whatever the suite runs on: the suite's server under
 * SQUELCH_TEST_DB=postgres, else a cluster of its own (stop it in afterAll).
 */
export async function postgresForTest(): Promise<{ adminUrl: string; stop(): void }> {
	const shared = process.env.SQUELCH_TEST_PG_URL;
	if ((process.env.SQUELCH_TEST_DB ?? '').trim().toLowerCase() === 'postgres' && shared)
		return { adminUrl: shared, stop: () => {} };
	const own = await startPgCluster();
	return { adminUrl: own.url, stop: own.stop };
}

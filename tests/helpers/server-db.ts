import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { binDir } from './postgres-cluster';

/**
 * A test's synchronous window into a running test server's database, whichever it is: its SQLite
 * file (WAL, next to the server), or — when the suite runs on PostgreSQL — its database through
 * `psql`. The statements tests send are plain SQL that both understand, with `?` parameters.
 */
export interface ServerDb {
	prepare(query: string): {
		get(...params: unknown[]): unknown;
		all(...params: unknown[]): unknown[];
		run(...params: unknown[]): { changes: number };
	};
	close(): void;
}

/** Where startServer leaves the database URL of a server it pointed at PostgreSQL. */
export const DATABASE_URL_FILE = '.test-database-url';

export function serverDatabaseUrl(dataDir: string): string | null {
	const file = path.join(dataDir, DATABASE_URL_FILE);
	return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : null;
}

export function openServerDb(dataDir: string): ServerDb {
	const url = serverDatabaseUrl(dataDir);
	if (!url) {
		const db = new Database(path.join(dataDir, 'squelch.db'));
		db.pragma('busy_timeout = 5000');
		return db as unknown as ServerDb;
	}
	return psqlDb(url);
}

function literal(value: unknown): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'number' || typeof value === 'bigint') return String(value);
	if (typeof value === 'boolean') return value ? '1' : '0';
	return `'${String(value).replaceAll("'", "''")}'`;
}

function bind(query: string, params: unknown[]): string {
	let i = 0;
	const bound = query.replace(/\?/g, () => literal(params[i++]));
	if (i !== params.length) throw new Error(`expected ${i} parameters, got ${params.length}`);
	return bound;
}

function psqlDb(url: string): ServerDb {
	const psql = (statement: string): string => {
		const result = spawnSync(
			path.join(binDir(), 'psql'),
			[url, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', statement],
			{ encoding: 'utf8' }
		);
		if (result.status !== 0) throw new Error(`psql: ${result.stderr || result.error}`);
		return result.stdout.trim();
	};
	const rows = (query: string, params: unknown[]) =>
		JSON.parse(
			psql(`select coalesce(json_agg(t), '[]') from (${bind(query, params)}) t`)
		) as unknown[];
	return {
		prepare: (query) => ({
			get: (...params) => rows(query, params)[0],
			all: (...params) => rows(query, params),
			run: (...params) => ({
				changes: Number(
					psql(`with r as (${bind(query, params)} returning 1) select count(*) from r`)
				)
			})
		}),
		close: () => {}
	};
}

import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './types';

/** int8 (count, bigint columns) and numeric (sum) as JS numbers: ids and epoch ms fit in 2^53. */
const types = {
	getTypeParser(oid: number, format?: 'text' | 'binary') {
		if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
		return pg.types.getTypeParser(oid, format);
	}
} as pg.CustomTypesConfig;

export interface PgOptions {
	/** Connections in the pool (default 10). */
	max?: number;
	/** Idle connections are closed after this many ms (default 30 s). */
	idleTimeoutMillis?: number;
}

export function createPgPool(url: string, opts: PgOptions = {}): pg.Pool {
	const pool = new pg.Pool({
		connectionString: url,
		types,
		max: opts.max ?? 10,
		idleTimeoutMillis: opts.idleTimeoutMillis ?? 30_000,
		// A database that does not answer fails the request instead of queueing it forever.
		connectionTimeoutMillis: 5_000
	});
	// An idle connection dropped by the server (restart, failover) must not crash the process;
	// the next query opens a new one. The message never carries the URL or password.
	pool.on('error', (err) => console.error('Squelch: PostgreSQL connection lost:', err.message));
	return pool;
}

export function createPgDb(url: string, opts: PgOptions = {}): Kysely<Database> {
	return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPgPool(url, opts) }) });
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { testDatabase } from '../config';
import { createPgDb } from './postgres';
import type { Database } from './types';

/** The migrated, never-connected database every PostgreSQL test database is cloned from. */
export const PG_TEMPLATE = 'squelch_template';

/** `postgres://…/postgres` with another database name. */
export function withDatabase(url: string, name: string): string {
	const u = new URL(url);
	u.pathname = `/${name}`;
	return u.toString();
}

/** A fresh, empty database on the test server, owned by the test role; its URL. */
export async function createPgDatabase(adminUrl: string, template?: string): Promise<string> {
	const name = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
	const client = new pg.Client({ connectionString: adminUrl });
	await client.connect();
	try {
		await client.query(`create database ${name}${template ? ` template ${template}` : ''}`);
	} finally {
		await client.end();
	}
	return withDatabase(adminUrl, name);
}

interface Factories {
	createDb(file: string): Kysely<Database>;
	migrateToLatest(db: Kysely<Database>): Promise<void>;
}

/** SQLite: in memory, migrated. PostgreSQL: a database of its own, cloned from the template. */
export async function createTestDb(f: Factories): Promise<Kysely<Database>> {
	const target = testDatabase();
	if (target.kind === 'sqlite') {
		const db = f.createDb(':memory:');
		await f.migrateToLatest(db);
		return db;
	}
	const url = await createPgDatabase(target.adminUrl, PG_TEMPLATE);
	// Small pools that let go quickly: a test file makes many databases and rarely closes them.
	return createPgDb(url, { max: 4, idleTimeoutMillis: 1_000 });
}

/**
 * `count` separate handles on one migrated database, as several instances would hold: SQLite, a
 * temporary file each opens on its own; PostgreSQL, one pool per handle.
 */
export async function createSharedTestDbs(
	f: Factories,
	count: number
): Promise<Kysely<Database>[]> {
	const target = testDatabase();
	if (target.kind === 'sqlite') {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-shared-'));
		const file = path.join(dir, 'squelch.db');
		const first = f.createDb(file);
		await f.migrateToLatest(first);
		return [first, ...Array.from({ length: count - 1 }, () => f.createDb(file))];
	}
	const url = await createPgDatabase(target.adminUrl, PG_TEMPLATE);
	return Array.from({ length: count }, () => createPgDb(url, { max: 4, idleTimeoutMillis: 1_000 }));
}

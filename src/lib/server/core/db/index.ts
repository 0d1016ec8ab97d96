import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations';
import type { Database } from './types';
import { withStatementCache } from './statement-cache';

export type DB = Kysely<Database>;

/** Opens (creating if needed) a SQLite file, or ':memory:' for tests. WAL, foreign keys on. */
export function openSqlite(file: string): SQLite.Database {
	if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
	const sqlite = new SQLite(file);
	sqlite.pragma('journal_mode = WAL');
	sqlite.pragma('synchronous = NORMAL');
	sqlite.pragma('foreign_keys = ON');
	sqlite.pragma('busy_timeout = 5000');
	return sqlite;
}

export function createDb(file: string): DB {
	return new Kysely<Database>({
		dialect: new SqliteDialect({ database: withStatementCache(openSqlite(file)) })
	});
}

export async function migrateToLatest(db: DB): Promise<void> {
	const migrator = new Migrator({ db, provider: migrationProvider });
	const { error, results } = await migrator.migrateToLatest();
	const failed = results?.find((r) => r.status === 'Error');
	if (error || failed) {
		throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
	}
}

/** A migrated in-memory database, for service tests. */
export async function createTestDb(): Promise<DB> {
	const db = createDb(':memory:');
	await migrateToLatest(db);
	return db;
}

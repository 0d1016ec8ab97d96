import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations';
import type { Database } from './types';
import { withStatementCache } from './statement-cache';
import { ImmediateSqliteDialect } from './sqlite-dialect';
import { isPostgres } from './dialect';
import { PgSchemaPlugin } from './pg-schema';
import { createPgDb } from './postgres';
import {
	createSharedTestDbs as createSharedTestDbsFor,
	createTestDb as createTestDbFor
} from './test-db';

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

/** A SQLite database (the statement cache is SQLite-only: pg prepares per connection). */
export function createDb(file: string): DB {
	return new Kysely<Database>({
		dialect: new ImmediateSqliteDialect({ database: withStatementCache(openSqlite(file)) })
	});
}

export function sqliteFile(dataDir: string): string {
	return path.join(dataDir, 'squelch.db');
}

/** The configured store: PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR. */
export function openDatabase(cfg: { databaseUrl: string | null; dataDir: string }): DB {
	return cfg.databaseUrl ? createPgDb(cfg.databaseUrl) : createDb(sqliteFile(cfg.dataDir));
}

export async function migrateToLatest(db: DB): Promise<void> {
	// One set of migrations: on PostgreSQL their SQLite column types are rewritten (pg-schema.ts).
	const target = isPostgres(db) ? db.withPlugin(new PgSchemaPlugin()) : db;
	const migrator = new Migrator({ db: target, provider: migrationProvider });
	const { error, results } = await migrator.migrateToLatest();
	const failed = results?.find((r) => r.status === 'Error');
	if (error || failed) {
		throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
	}
}

/** A migrated, empty database for service tests (SQUELCH_TEST_DB picks which: test-db.ts). */
export async function createTestDb(): Promise<DB> {
	return createTestDbFor({ createDb, migrateToLatest });
}

/** Several handles on one migrated database, one per simulated instance (test-db.ts). */
export async function createSharedTestDbs(count: number): Promise<DB[]> {
	return createSharedTestDbsFor({ createDb, migrateToLatest }, count);
}

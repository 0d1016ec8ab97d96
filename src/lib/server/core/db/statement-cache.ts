import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; `IN (…)` lists of varying length make new texts. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 as Kysely's SqliteDialect sees it, with prepared statements reused. Kysely
 * prepares every query afresh; the same few statements run on every upload, token check and
 * feed read, and preparing them again each time was a measurable share of ingest
 * (docs/performance.md). A statement is only unsafe to share while it is being iterated, and
 * nothing here streams (Kysely's `.stream()` is not used), so reuse is safe.
 */
export function withStatementCache(
	sqlite: SQLite.Database,
	size = STATEMENT_CACHE_SIZE
): SqliteDatabase {
	const cache = new Map<string, SqliteStatement>();
	return {
		close: () => sqlite.close(),
		prepare(sql: string): SqliteStatement {
			let stmt = cache.get(sql);
			if (stmt) {
				// Least recently used goes first: move this one to the end.
				cache.delete(sql);
			} else {
				stmt = sqlite.prepare(sql) as unknown as SqliteStatement;
				if (cache.size >= size) cache.delete(cache.keys().next().value as string);
			}
			cache.set(sql, stmt);
			return stmt;
		}
	};
}

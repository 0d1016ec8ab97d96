import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './types';

/**
 * The append-only tables that live feeds read by id (live/ordered-feed.ts). Each has one
 * advisory lock key (an arbitrary constant: "SQ" and a number).
 */
const FEED_KEYS = { calls: 0x5351_0001, events: 0x5351_0002, alerts: 0x5351_0003 } as const;

export type FeedTable = keyof typeof FEED_KEYS;

/**
 * Call first in a transaction that appends to a feed's table. A feed reads rows above the
 * highest id it has seen, so an id must never become visible after a higher one: on PostgreSQL,
 * where writers on several connections (and instances) take ids from a sequence and commit in
 * any order, the transaction-scoped advisory lock makes them take ids and commit one at a time
 * (ids in commit order). SQLite has one writer at a time already: nothing to do.
 */
export async function lockFeed(trx: Kysely<Database>, feed: FeedTable): Promise<void> {
	if (!(trx.getExecutor().adapter instanceof PostgresAdapter)) return;
	await sql`select pg_advisory_xact_lock(${FEED_KEYS[feed]})`.execute(trx);
}

/**
 * Runs a single append to a feed's table in feed order: on PostgreSQL inside a transaction that
 * holds the feed lock, on SQLite as it is (one statement is its own transaction there, and the
 * ingest path that logs an event per call pays nothing extra).
 */
export async function appendInOrder<T>(
	db: Kysely<Database>,
	feed: FeedTable,
	append: (db: Kysely<Database>) => Promise<T>
): Promise<T> {
	if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return append(db);
	return db.transaction().execute(async (trx) => {
		await lockFeed(trx, feed);
		return append(trx);
	});
}

import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * The seam between SQLite and PostgreSQL. Queries are written once with the query builder; the
 * few places where the SQL must differ ask here, and each answer has both variants side by side.
 */
export type Dialect = 'sqlite' | 'postgres';

// Kysely<any>: migrations hold a Kysely<unknown>, services a Kysely<Database>.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function dialectOf(db: AnyDb): Dialect {
	return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export function isPostgres(db: AnyDb): boolean {
	return dialectOf(db) === 'postgres';
}

/** The larger of two numbers: SQLite's two-argument max(), PostgreSQL's greatest(). */
export function greatest(db: AnyDb, a: RawBuilder<unknown>, b: RawBuilder<unknown>) {
	return isPostgres(db) ? sql<number>`greatest(${a}, ${b})` : sql<number>`max(${a}, ${b})`;
}

/**
 * `column = value` without regard to case, for a column that SQLite declares `collate nocase`
 * (users.username): SQLite compares through that collation (and its index); PostgreSQL compares
 * lower() on both sides, which its unique index on lower(column) serves.
 */
export function equalsIgnoringCase(db: AnyDb, column: string, value: string) {
	return isPostgres(db)
		? sql<boolean>`lower(${sql.ref(column)}) = lower(${value})`
		: sql<boolean>`${sql.ref(column)} = ${value}`;
}

/** Ordering for the same columns: case-insensitive on both. */
export function caseInsensitive(db: AnyDb, column: string) {
	return isPostgres(db) ? sql`lower(${sql.ref(column)})` : sql`${sql.ref(column)}`;
}

/**
 * Makes transactions that name the same `key` run one at a time, for check-then-write steps that
 * no row lock covers (e.g. "no user exists yet, so create the admin"). SQLite runs every
 * transaction on one connection, one after another, so it needs nothing; PostgreSQL takes a
 * transaction-scoped advisory lock (no privileges needed, released at commit or rollback).
 */
export async function serializeOn(trx: AnyDb, key: string): Promise<void> {
	if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

/**
 * A read that locks the rows it returns until the transaction ends (`for update`), so a
 * read-then-write on PostgreSQL sees the latest committed row and holds it. SQLite has no row
 * locks and needs none: its transactions already run one at a time.
 */
export function forUpdate<Q extends { forUpdate(): Q }>(db: AnyDb, query: Q): Q {
	return isPostgres(db) ? query.forUpdate() : query;
}

import { sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';

/**
 * `npm run migrate-to-postgres`: copies an existing SQLite install into an empty, migrated
 * PostgreSQL database, keeping every id, in one transaction (all or nothing). The tables come
 * from the SQLite file itself (tables added by later migrations are copied too), parents before
 * children (foreign keys); rows go in batches; each identity sequence then continues after the
 * largest id copied.
 */
export interface CopyReport {
	tables: Array<{ table: string; rows: number }>;
}

export class CopyRefused extends Error {}

/** Kysely's own bookkeeping: the target has it already, from its own migration run. */
const SKIP = new Set(['kysely_migration', 'kysely_migration_lock']);
/** PostgreSQL allows 65,535 parameters in one statement; stay well under it. */
const MAX_PARAMS = 30_000;

type Target = Kysely<Record<string, Record<string, unknown>>>;

/** SQLite's tables, each after the tables it references. */
export function tablesInOrder(source: SQLite.Database): string[] {
	const names = (
		source
			.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
			.all() as Array<{ name: string }>
	)
		.map((r) => r.name)
		// The FTS5 index (transcripts_fts and its shadow tables) is SQLite's own: PostgreSQL
		// searches transcripts through an expression index instead.
		.filter((n) => !SKIP.has(n) && !n.startsWith('transcripts_fts'))
		.sort();
	const parents = new Map(
		names.map((n) => [
			n,
			(
				source.prepare('select "table" from pragma_foreign_key_list(?)').all(n) as Array<{
					table: string;
				}>
			)
				.map((r) => r.table)
				.filter((t) => t !== n)
		])
	);
	const ordered: string[] = [];
	const visit = (name: string, path: Set<string>) => {
		if (ordered.includes(name) || path.has(name)) return;
		path.add(name);
		for (const parent of parents.get(name) ?? []) if (parents.has(parent)) visit(parent, path);
		ordered.push(name);
	};
	for (const name of names) visit(name, new Set());
	return ordered;
}

function columnsOf(source: SQLite.Database, table: string): string[] {
	return (
		source.prepare('select name from pragma_table_info(?)').all(table) as Array<{
			name: string;
		}>
	).map((r) => r.name);
}

async function targetColumns(trx: Target, table: string): Promise<Set<string>> {
	const { rows } = await sql<{ column_name: string }>`
		select column_name from information_schema.columns
		where table_schema = current_schema() and table_name = ${table}`.execute(trx);
	return new Set(rows.map((r) => r.column_name));
}

async function isEmpty(trx: Target, table: string): Promise<boolean> {
	const { rows } = await sql<{ any: boolean }>`select exists (select 1 from ${sql.table(
		table
	)}) as any`.execute(trx);
	return !rows[0].any;
}

export async function copySqliteToPostgres(
	source: SQLite.Database,
	target: Target,
	opts: { force?: boolean; batchRows?: number; log?: (line: string) => void } = {}
): Promise<CopyReport> {
	const tables = tablesInOrder(source);
	const log = opts.log ?? (() => {});
	return target.transaction().execute(async (trx) => {
		const columns = new Map<string, string[]>();
		for (const table of tables) {
			const have = await targetColumns(trx, table);
			if (have.size === 0)
				throw new CopyRefused(`table ${table} is missing in PostgreSQL: run npm run migrate first`);
			const cols = columnsOf(source, table);
			const missing = cols.filter((c) => !have.has(c));
			if (missing.length)
				throw new CopyRefused(`${table} lacks column(s) ${missing.join(', ')} in PostgreSQL`);
			columns.set(table, cols);
		}
		const filled: string[] = [];
		for (const table of tables) if (!(await isEmpty(trx, table))) filled.push(table);
		if (filled.length && !opts.force)
			throw new CopyRefused(
				`the PostgreSQL database is not empty (${filled.join(', ')}); --force replaces its rows`
			);
		if (filled.length)
			await sql`truncate table ${sql.join(tables.map((t) => sql.table(t)))} cascade`.execute(trx);

		const report: CopyReport = { tables: [] };
		for (const table of tables) {
			const cols = columns.get(table)!;
			const batch = Math.max(
				1,
				Math.min(opts.batchRows ?? 1000, Math.floor(MAX_PARAMS / cols.length))
			);
			// Keyset paging on SQLite's rowid: each batch is one indexed range read.
			const read = source.prepare(
				`select rowid as "__rowid", ${cols.map((c) => `"${c}"`).join(', ')} from "${table}" where rowid > ? order by rowid limit ${batch}`
			);
			let after = Number.MIN_SAFE_INTEGER;
			let rows = 0;
			for (;;) {
				const page = read.all(after) as Array<Record<string, unknown>>;
				if (page.length === 0) break;
				after = page[page.length - 1].__rowid as number;
				const values = page.map(({ __rowid, ...row }) => (void __rowid, row));
				await trx.insertInto(table).values(values).execute();
				rows += page.length;
			}
			await resetIdentity(trx, table);
			report.tables.push({ table, rows });
			log(`${table}: ${rows} row(s)`);
		}
		return report;
	});
}

/** The next generated id follows the largest one copied (or starts at 1 on an empty table). */
async function resetIdentity(trx: Target, table: string): Promise<void> {
	const { rows } = await sql<{ column_name: string }>`
		select column_name from information_schema.columns
		where table_schema = current_schema() and table_name = ${table} and is_identity = 'YES'`.execute(
		trx
	);
	for (const { column_name: column } of rows) {
		await sql`select setval(
			pg_get_serial_sequence(${table}, ${column}),
			coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 1),
			(select max(${sql.ref(column)}) from ${sql.table(table)}) is not null
		)`.execute(trx);
	}
}

// `npm run migrate-to-postgres [-- --force]`: copies the SQLite install in DATA_DIR into the
// PostgreSQL database at DATABASE_URL (migrated first, must be empty unless --force), keeping
// ids. Stop Squelch first: the copy is a snapshot. See README.md (PostgreSQL).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { config } from '../src/lib/server/core/config';
import { createDb, migrateToLatest, openSqlite, sqliteFile } from '../src/lib/server/core/db';
import { createPgDb } from '../src/lib/server/core/db/postgres';
import { CopyRefused, copySqliteToPostgres } from '../src/lib/server/core/db/copy-to-postgres';

const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });

async function main(): Promise<void> {
	const cfg = config();
	if (!cfg.databaseUrl)
		throw new CopyRefused('set DATABASE_URL to the PostgreSQL database to fill');
	const file = sqliteFile(cfg.dataDir);
	if (!fs.existsSync(file)) throw new CopyRefused(`no SQLite database at ${file} (DATA_DIR)`);
	// Both sides on the latest schema, so their tables and columns match.
	const sqlite = createDb(file);
	await migrateToLatest(sqlite);
	await sqlite.destroy();
	const target = createPgDb(cfg.databaseUrl, { max: 1 });
	const source = openSqlite(file);
	try {
		await migrateToLatest(target);
		const report = await copySqliteToPostgres(source, target, {
			force: values.force,
			log: (line) => console.log(`  ${line}`)
		});
		const total = report.tables.reduce((n, t) => n + t.rows, 0);
		console.log(`Squelch: copied ${total} row(s) in ${report.tables.length} tables to PostgreSQL.`);
	} finally {
		source.close();
		await target.destroy();
	}
}

try {
	await main();
} catch (err) {
	console.error(`Squelch: migrate-to-postgres failed: ${err instanceof Error ? err.message : err}`);
	process.exitCode = 1;
}

// `npm run migrate`: applies the migrations to the configured database — PostgreSQL when
// DATABASE_URL is set, else SQLite in DATA_DIR — exactly as the server does at start.
import { config } from '../src/lib/server/core/config';
import { migrateToLatest, openDatabase } from '../src/lib/server/core/db';
import { dialectOf } from '../src/lib/server/core/db/dialect';

try {
	const cfg = config();
	const db = openDatabase(cfg);
	try {
		await migrateToLatest(db);
		console.log(`Squelch: the ${dialectOf(db)} database is migrated to the latest version.`);
	} finally {
		await db.destroy();
	}
} catch (err) {
	const message = err instanceof Error ? err.message : String(err);
	console.error(`Squelch: migration failed: ${message}`);
	process.exitCode = 1;
}

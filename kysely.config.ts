import path from 'node:path';
import { defineConfig } from 'kysely-ctl';
import { SqliteDialect } from 'kysely';
import { openSqlite } from './src/lib/server/core/db';
import { migrationProvider } from './src/lib/server/core/db/migrations';

// `npx kysely migrate:latest` runs the same migrations the server applies at start.
export default defineConfig({
	dialect: new SqliteDialect({
		database: openSqlite(path.resolve(process.env.DATA_DIR || './data', 'squelch.db'))
	}),
	migrations: { provider: migrationProvider }
});

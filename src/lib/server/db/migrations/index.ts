import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_init';

/**
 * Migrations are listed here rather than read from a folder, so the bundled production build
 * (which has no migration files on disk) and kysely-ctl run the same set. Add new ones in order.
 */
const migrations: Record<string, Migration> = {
	'0001_init': m0001
};

export const migrationProvider: MigrationProvider = {
	getMigrations: async () => migrations
};

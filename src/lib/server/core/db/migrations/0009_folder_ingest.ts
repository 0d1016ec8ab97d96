import type { Kysely } from 'kysely';

// Folder ingest (ingest/folder.ts): each file pair read, by path, size and mtime, so a restart
// never imports it again.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('folder_ingested')
		.addColumn('path', 'text', (c) => c.primaryKey())
		.addColumn('size', 'integer', (c) => c.notNull())
		.addColumn('mtime_ms', 'integer', (c) => c.notNull())
		.addColumn('status', 'integer', (c) => c.notNull())
		.addColumn('reply', 'text', (c) => c.notNull())
		.addColumn('at', 'integer', (c) => c.notNull())
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('folder_ingested').execute();
}

import type { Kysely } from 'kysely';

// Watch folders an admin sets up (calls/watch-folders.ts); SQUELCH_WATCH_DIRS ones stay in env.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('watch_folders')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('path', 'text', (c) => c.notNull().unique())
		// 'trunk-recorder' (audio + .json sidecar) or 'sdrtrunk' (MP3/WAV with tags).
		.addColumn('format', 'text', (c) => c.notNull())
		.addColumn('system_ref', 'integer', (c) => c.notNull())
		// The upload key the calls are judged and attributed as; null once the key is deleted.
		.addColumn('api_key_id', 'integer', (c) => c.references('api_keys.id').onDelete('set null'))
		// 'leave' or 'move' (into imported/ or failed/ under the folder).
		.addColumn('mode', 'text', (c) => c.notNull())
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('updated_at', 'integer', (c) => c.notNull())
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('watch_folders').execute();
}

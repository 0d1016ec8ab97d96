import type { Kysely } from 'kysely';

// Refresh-token reuse detection for every token of a family: each session counts its rotations,
// and one retired token in every 32 is remembered (auth/sessions.ts explains the walk).
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.alterTable('sessions')
		.addColumn('rotation', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
	await db.schema
		.createTable('refresh_checkpoints')
		.addColumn('token_hash', 'text', (c) => c.primaryKey())
		.addColumn('session_id', 'text', (c) =>
			c.notNull().references('sessions.id').onDelete('cascade')
		)
		.addColumn('rotation', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('refresh_checkpoints_session')
		.on('refresh_checkpoints')
		.columns(['session_id', 'rotation'])
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('refresh_checkpoints').execute();
	await db.schema.alterTable('sessions').dropColumn('rotation').execute();
}

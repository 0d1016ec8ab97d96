import type { Kysely } from 'kysely';

// The scanner's talkgroup selection, per user. Stored as what is turned OFF, so a talkgroup that
// appears later is heard until the user turns it off.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('scanner_muted')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('system_ref', 'integer', (c) => c.notNull())
		.addColumn('talkgroup_ref', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addPrimaryKeyConstraint('scanner_muted_pk', ['user_id', 'system_ref', 'talkgroup_ref'])
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('scanner_muted').execute();
}

import type { Kysely } from 'kysely';

// Trunk-Recorder's talkgroup CSV carries Mode and Priority; keeping them makes import → export exact.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.alterTable('talkgroups')
		.addColumn('mode', 'text', (c) => c.notNull().defaultTo(''))
		.execute();
	await db.schema.alterTable('talkgroups').addColumn('priority', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.alterTable('talkgroups').dropColumn('priority').execute();
	await db.schema.alterTable('talkgroups').dropColumn('mode').execute();
}

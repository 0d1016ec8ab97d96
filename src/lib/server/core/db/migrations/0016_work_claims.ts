import type { Kysely } from 'kysely';

// Claims with a lease on queued work (docs/scaling.md, "Background work with several instances"):
// an instance sets claimed_by/claimed_until on a row before doing it, so a second instance on the
// same database skips it; a crashed instance's lease runs out and another takes the row over.
const TABLES = ['outbox', 'audio_jobs'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
	for (const table of TABLES) {
		await db.schema.alterTable(table).addColumn('claimed_by', 'text').execute();
		await db.schema.alterTable(table).addColumn('claimed_until', 'integer').execute();
	}
}

export async function down(db: Kysely<unknown>): Promise<void> {
	for (const table of TABLES) {
		await db.schema.alterTable(table).dropColumn('claimed_until').execute();
		await db.schema.alterTable(table).dropColumn('claimed_by').execute();
	}
}

import { sql, type Kysely } from 'kysely';

// The audio pipeline (an outbox of encode jobs), broadcast delay, and the publication sequence
// the live feed reads (docs/audio.md "Live ordering").
export async function up(db: Kysely<unknown>): Promise<void> {
	// ready_at: when the call's audio became final (null while an encode is pending).
	// due_at: when listeners who are not exempt may hear it. public_at: when that was published.
	await db.schema.alterTable('calls').addColumn('ready_at', 'integer').execute();
	await db.schema
		.alterTable('calls')
		.addColumn('due_at', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
	await db.schema.alterTable('calls').addColumn('public_at', 'integer').execute();
	// The file as received, when kept (a setting), and its size (storage saved).
	await db.schema.alterTable('calls').addColumn('original_path', 'text').execute();
	await db.schema.alterTable('calls').addColumn('original_size', 'integer').execute();
	await sql`update calls set ready_at = created_at, due_at = created_at, public_at = created_at`.execute(
		db
	);
	await sql`create index calls_awaiting_public on calls (due_at) where public_at is null`.execute(
		db
	);

	await db.schema
		.createTable('audio_jobs')
		.addColumn('call_id', 'integer', (c) =>
			c.primaryKey().references('calls.id').onDelete('cascade')
		)
		.addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('run_after', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();

	// Append-only: one row each time a call becomes audible to an audience. `all`: everyone;
	// `exempt`: admins and delay-exempt users (a delayed call, before it is due); `public`: the
	// rest, once due. The live feed reads this table by seq.
	await db.schema
		.createTable('call_publications')
		.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('call_id', 'integer', (c) => c.notNull().references('calls.id').onDelete('cascade'))
		.addColumn('audience', 'text', (c) =>
			c.notNull().check(sql`audience in ('all', 'exempt', 'public')`)
		)
		.addColumn('published_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('call_publications_call')
		.on('call_publications')
		.column('call_id')
		.execute();
	await sql`insert into call_publications (call_id, audience, published_at)
		select id, 'all', created_at from calls order by id`.execute(db);

	for (const table of ['systems', 'talkgroups'] as const) {
		await db.schema
			.alterTable(table)
			.addColumn('delay_minutes', 'integer', (c) => c.notNull().defaultTo(0))
			.execute();
	}
	await db.schema
		.alterTable('users')
		.addColumn('delay_exempt', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('call_publications').execute();
	await db.schema.dropTable('audio_jobs').execute();
	await sql`drop index calls_awaiting_public`.execute(db);
	for (const column of ['ready_at', 'due_at', 'public_at', 'original_path', 'original_size'])
		await db.schema.alterTable('calls').dropColumn(column).execute();
	for (const table of ['systems', 'talkgroups'])
		await db.schema.alterTable(table).dropColumn('delay_minutes').execute();
	await db.schema.alterTable('users').dropColumn('delay_exempt').execute();
}

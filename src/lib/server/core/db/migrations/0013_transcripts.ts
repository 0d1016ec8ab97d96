import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect';

// Transcripts (docs/transcripts.md): one row per transcribed call, its full-text index, the
// queue's cursor over publications, the engine's failure log, and the kind of a publication
// (a call, or its transcript arriving as an update on the live feed).
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('transcripts')
		.addColumn('call_id', 'integer', (c) =>
			c.primaryKey().references('calls.id').onDelete('cascade')
		)
		.addColumn('text', 'text', (c) => c.notNull())
		// JSON: [{ start, end, text, unit }], seconds from the start of the call.
		.addColumn('segments', 'text', (c) => c.notNull().defaultTo('[]'))
		.addColumn('language', 'text')
		.addColumn('engine', 'text', (c) => c.notNull())
		.addColumn('model', 'text', (c) => c.notNull())
		// Seconds of audio, and ms the engine took: the real-time factor on the dashboard.
		.addColumn('audio_seconds', 'real', (c) => c.notNull().defaultTo(0))
		.addColumn('elapsed_ms', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('transcripts_created')
		.on('transcripts')
		.column('created_at')
		.execute();

	if (isPostgres(db)) {
		await sql`create index transcripts_tsv on transcripts using gin (to_tsvector('english', translate(text, '-', ' ')))`.execute(
			db
		);
	} else {
		// External content: the words live once, in transcripts; triggers keep the index in step.
		await sql`create virtual table transcripts_fts using fts5(text, content='transcripts', content_rowid='call_id', tokenize='porter unicode61')`.execute(
			db
		);
		await sql`create trigger transcripts_fts_ai after insert on transcripts begin
			insert into transcripts_fts(rowid, text) values (new.call_id, new.text); end`.execute(db);
		await sql`create trigger transcripts_fts_ad after delete on transcripts begin
			insert into transcripts_fts(transcripts_fts, rowid, text) values ('delete', old.call_id, old.text); end`.execute(
			db
		);
		await sql`create trigger transcripts_fts_au after update of text on transcripts begin
			insert into transcripts_fts(transcripts_fts, rowid, text) values ('delete', old.call_id, old.text);
			insert into transcripts_fts(rowid, text) values (new.call_id, new.text); end`.execute(db);
	}

	// The queue reads call publications in seq order; its first start begins after the archive.
	await db.schema
		.createTable('transcript_cursor')
		.addColumn('id', 'integer', (c) => c.primaryKey())
		.addColumn('seq', 'integer', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('transcript_failures')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('call_id', 'integer', (c) => c.notNull())
		.addColumn('at', 'integer', (c) => c.notNull())
		.addColumn('error', 'text', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('transcript_failures_at')
		.on('transcript_failures')
		.column('at')
		.execute();

	// `call`: the call became audible; `transcript`: its transcript arrived (an update).
	await db.schema
		.alterTable('call_publications')
		.addColumn('kind', 'text', (c) => c.notNull().defaultTo('call'))
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.alterTable('call_publications').dropColumn('kind').execute();
	await db.schema.dropTable('transcript_failures').execute();
	await db.schema.dropTable('transcript_cursor').execute();
	if (!isPostgres(db)) {
		await sql`drop table transcripts_fts`.execute(db);
	}
	await db.schema.dropTable('transcripts').execute();
}

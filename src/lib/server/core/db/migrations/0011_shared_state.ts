import type { Kysely } from 'kysely';

// State that several instances on one PostgreSQL must share (docs/scaling.md): the login
// throttle's counters, and who is listening (each instance's own rows plus its heartbeat).
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('login_attempts')
		.addColumn('key', 'text', (c) => c.primaryKey())
		.addColumn('failures', 'integer', (c) => c.notNull())
		.addColumn('window_start', 'integer', (c) => c.notNull())
		.addColumn('last_at', 'integer', (c) => c.notNull())
		.addColumn('delay_ms', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createTable('instances')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('started_at', 'integer', (c) => c.notNull())
		.addColumn('heartbeat_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createTable('presence')
		.addColumn('instance_id', 'text', (c) => c.notNull())
		.addColumn('session_key', 'text', (c) => c.notNull())
		.addPrimaryKeyConstraint('presence_pk', ['instance_id', 'session_key'])
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('presence').execute();
	await db.schema.dropTable('instances').execute();
	await db.schema.dropTable('login_attempts').execute();
}

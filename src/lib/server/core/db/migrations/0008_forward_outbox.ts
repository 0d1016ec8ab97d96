import type { Kysely } from 'kysely';

// A durable outbox (core/outbox.ts) and downstream forwarding targets (forward/).
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('outbox')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('kind', 'text', (c) => c.notNull())
		// Rows of one lane are done strictly in id order (e.g. one lane per downstream target).
		.addColumn('lane', 'text', (c) => c.notNull())
		.addColumn('ref', 'text', (c) => c.notNull())
		.addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('next_at', 'integer', (c) => c.notNull())
		.addColumn('last_error', 'text')
		.addColumn('done_at', 'integer')
		.addColumn('gave_up_at', 'integer')
		.addUniqueConstraint('outbox_kind_ref', ['kind', 'ref'])
		.execute();
	await db.schema
		.createIndex('outbox_pending')
		.on('outbox')
		.columns(['kind', 'lane', 'done_at', 'gave_up_at', 'id'])
		.execute();
	await db.schema
		.createTable('forward_targets')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('url', 'text', (c) => c.notNull())
		.addColumn('api_key', 'text', (c) => c.notNull())
		.addColumn('systems', 'text')
		.addColumn('talkgroups', 'text')
		.addColumn('system_map', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('talkgroup_map', 'text', (c) => c.notNull().defaultTo('{}'))
		.addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
		// Calls with a higher id are still to be queued for this target.
		.addColumn('queued_through', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('last_success_at', 'integer')
		.addColumn('last_error', 'text')
		.addColumn('last_error_at', 'integer')
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('forward_targets').execute();
	await db.schema.dropTable('outbox').execute();
}

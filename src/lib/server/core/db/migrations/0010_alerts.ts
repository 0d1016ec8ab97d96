import type { Kysely } from 'kysely';

// Alerts (issue 15): per-user rules, the alerts they raised (the in-page feed and the push
// decision), and browser push subscriptions, each bound to the session (device) that made it.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('alert_rules')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('name', 'text', (c) => c.notNull())
		// JSON: { systems, talkgroups, units, groups, tags, emergency } as radio ids and strings.
		.addColumn('match', 'text', (c) => c.notNull())
		.addColumn('sound', 'text', (c) => c.notNull().defaultTo('beep'))
		.addColumn('cooldown_seconds', 'integer', (c) => c.notNull())
		// JSON { start, end, timeZone } or null.
		.addColumn('quiet_hours', 'text')
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('updated_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('alert_rules_user').on('alert_rules').column('user_id').execute();

	await db.schema
		.createTable('alerts')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('rule_id', 'integer', (c) => c.notNull())
		.addColumn('call_id', 'integer', (c) => c.notNull())
		.addColumn('at', 'integer', (c) => c.notNull())
		// Alerts the cool-down held back since the previous one, folded into this one's text.
		.addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
		// JSON: the push payload (callId, rule, system, talkgroup, unit, time, sound).
		.addColumn('data', 'text', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('alerts_user_id').on('alerts').columns(['user_id', 'id']).execute();

	// The last call the decision has seen (one row), advanced in the transaction that writes the
	// alerts: after a restart the worker carries on from it, so no call is decided twice or missed.
	await db.schema
		.createTable('alert_cursor')
		.addColumn('id', 'integer', (c) => c.primaryKey())
		.addColumn('call_id', 'integer', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('push_subscriptions')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('session_id', 'text', (c) =>
			c.notNull().references('sessions.id').onDelete('cascade')
		)
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('endpoint', 'text', (c) => c.notNull().unique())
		.addColumn('p256dh', 'text', (c) => c.notNull())
		.addColumn('auth', 'text', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('push_subscriptions_session')
		.on('push_subscriptions')
		.column('session_id')
		.execute();

	// The push outbox: one row per alert and device, deleted once the push service took it (or
	// gave up on the device); a restart resends what is left, nothing twice after a success.
	await db.schema
		.createTable('push_outbox')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('alert_id', 'integer', (c) =>
			c.notNull().references('alerts.id').onDelete('cascade')
		)
		.addColumn('subscription_id', 'integer', (c) =>
			c.notNull().references('push_subscriptions.id').onDelete('cascade')
		)
		.addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('next_at', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('push_outbox_next').on('push_outbox').column('next_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('push_outbox').execute();
	await db.schema.dropTable('push_subscriptions').execute();
	await db.schema.dropTable('alert_cursor').execute();
	await db.schema.dropTable('alerts').execute();
	await db.schema.dropTable('alert_rules').execute();
}

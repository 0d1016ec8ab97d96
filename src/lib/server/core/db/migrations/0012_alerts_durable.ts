import { sql, type Kysely } from 'kysely';

// Alerts, issue 15 finished: the emergency flag on calls; the flood limits (cool-down per rule
// and talkgroup, per-minute cap per user) as rows, so they hold across restarts and instances;
// one decision per rule and call; pushes moved onto the generic outbox (core/outbox.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
	// 0/1: the recorder flagged the call as an emergency.
	await db.schema
		.alterTable('calls')
		.addColumn('emergency', 'integer', (c) => c.notNull().defaultTo(0))
		.execute();

	await db.schema
		.createTable('alert_cooldowns')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('rule_id', 'integer', (c) =>
			c.notNull().references('alert_rules.id').onDelete('cascade')
		)
		// The talkgroup's database id.
		.addColumn('talkgroup_id', 'integer', (c) => c.notNull())
		// When its last alert went out, epoch ms; 0: never.
		.addColumn('last_at', 'integer', (c) => c.notNull())
		// Held back since then; `carried` is what the last alert folded in.
		.addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('carried', 'integer', (c) => c.notNull().defaultTo(0))
		.addPrimaryKeyConstraint('alert_cooldowns_pk', ['user_id', 'rule_id', 'talkgroup_id'])
		.execute();

	await db.schema
		.createTable('alert_minutes')
		.addColumn('user_id', 'integer', (c) =>
			c.primaryKey().references('users.id').onDelete('cascade')
		)
		// The current one-minute window's start, epoch ms, and alerts sent in it.
		.addColumn('window_start', 'integer', (c) => c.notNull())
		.addColumn('count', 'integer', (c) => c.notNull())
		.execute();

	// A call raises at most one alert per rule, whichever instance decides it.
	await db.schema
		.createIndex('alerts_rule_call')
		.on('alerts')
		.columns(['rule_id', 'call_id'])
		.unique()
		.execute();

	// Pending pushes move to the generic outbox: one lane per device, so a device that answers
	// 429 holds back only its own pushes.
	await sql`insert into outbox (kind, lane, ref, payload, created_at, attempts, next_at)
		select 'push', 'push:' || subscription_id, alert_id || ':' || subscription_id,
			'{"alertId":' || alert_id || ',"subscriptionId":' || subscription_id || '}',
			created_at, attempts, next_at
		from push_outbox order by id`.execute(db);
	await db.schema.dropTable('push_outbox').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
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
	await sql`delete from outbox where kind = 'push'`.execute(db);
	await db.schema.dropIndex('alerts_rule_call').execute();
	await db.schema.dropTable('alert_minutes').execute();
	await db.schema.dropTable('alert_cooldowns').execute();
	await db.schema.alterTable('calls').dropColumn('emergency').execute();
}

import type { Kysely } from 'kysely';

// Share links (issue 17): a public, expiring link to one call or to an incident. The calls a link
// shows are fixed when it is made (share_link_calls), so the link can never widen later and
// retention can see which calls a live link still needs.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('share_links')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('token', 'text', (c) => c.notNull().unique())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('kind', 'text', (c) => c.notNull())
		.addColumn('title', 'text', (c) => c.notNull())
		.addColumn('from_ms', 'integer', (c) => c.notNull())
		.addColumn('to_ms', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('expires_at', 'integer')
		.addColumn('revoked_at', 'integer')
		.addColumn('views', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('last_viewed_at', 'integer')
		.execute();
	await db.schema.createIndex('share_links_user').on('share_links').column('user_id').execute();
	await db.schema
		.createTable('share_link_calls')
		.addColumn('link_id', 'integer', (c) =>
			c.notNull().references('share_links.id').onDelete('cascade')
		)
		.addColumn('call_id', 'integer', (c) => c.notNull().references('calls.id').onDelete('cascade'))
		.addPrimaryKeyConstraint('share_link_calls_pk', ['link_id', 'call_id'])
		.execute();
	await db.schema
		.createIndex('share_link_calls_call')
		.on('share_link_calls')
		.column('call_id')
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	await db.schema.dropTable('share_link_calls').execute();
	await db.schema.dropTable('share_links').execute();
}

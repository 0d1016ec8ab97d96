import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect';

// Schema for every capability in one first migration; later changes get their own files.
export async function up(db: Kysely<unknown>): Promise<void> {
	await db.schema
		.createTable('users')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		// Usernames are unique and matched without regard to case (auth/username.ts): SQLite's
		// nocase collation; on PostgreSQL a unique index on lower(username), made below.
		.addColumn('username', 'text', (c) =>
			isPostgres(db)
				? c.notNull()
				: c
						.notNull()
						.unique()
						.modifyEnd(sql`collate nocase`)
		)
		.addColumn('password_hash', 'text', (c) => c.notNull())
		.addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'listener')`))
		.addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('expires_at', 'integer')
		.addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('access_all', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('updated_at', 'integer', (c) => c.notNull())
		.execute();
	if (isPostgres(db))
		await sql`create unique index users_username_lower on users (lower(username))`.execute(db);

	await db.schema
		.createTable('sessions')
		.addColumn('id', 'text', (c) => c.primaryKey())
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('device', 'text', (c) => c.notNull())
		.addColumn('user_agent', 'text', (c) => c.notNull())
		.addColumn('ip', 'text', (c) => c.notNull())
		.addColumn('remember_me', 'integer', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('last_used_at', 'integer', (c) => c.notNull())
		.addColumn('expires_at', 'integer', (c) => c.notNull())
		.addColumn('refresh_hash', 'text', (c) => c.notNull().unique())
		.addColumn('prev_refresh_hash', 'text')
		.addColumn('rotated_at', 'integer', (c) => c.notNull())
		.addColumn('revoked_at', 'integer')
		.addColumn('revoke_reason', 'text')
		.execute();
	await db.schema
		.createIndex('sessions_user')
		.on('sessions')
		.columns(['user_id', 'revoked_at'])
		.execute();
	await db.schema
		.createIndex('sessions_prev_hash')
		.on('sessions')
		.column('prev_refresh_hash')
		.execute();

	await db.schema
		.createTable('secrets')
		.addColumn('name', 'text', (c) => c.primaryKey())
		.addColumn('value', 'text', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('settings')
		.addColumn('key', 'text', (c) => c.primaryKey())
		.addColumn('value', 'text', (c) => c.notNull())
		.addColumn('updated_at', 'integer', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('events')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('at', 'integer', (c) => c.notNull())
		.addColumn('type', 'text', (c) => c.notNull())
		.addColumn('user_id', 'integer')
		.addColumn('data', 'text', (c) => c.notNull())
		.execute();
	await db.schema.createIndex('events_at').on('events').column('at').execute();

	await db.schema
		.createTable('api_keys')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('key_hash', 'text', (c) => c.notNull().unique())
		.addColumn('key_prefix', 'text', (c) => c.notNull())
		.addColumn('systems', 'text')
		.addColumn('rate_limit', 'integer')
		.addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addColumn('last_used_at', 'integer')
		.execute();

	await db.schema
		.createTable('systems')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('system_ref', 'integer', (c) => c.notNull().unique())
		.addColumn('label', 'text', (c) => c.notNull())
		.addColumn('auto_populate', 'integer', (c) => c.notNull().defaultTo(1))
		.addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();

	await db.schema
		.createTable('talkgroups')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('system_id', 'integer', (c) =>
			c.notNull().references('systems.id').onDelete('cascade')
		)
		.addColumn('talkgroup_ref', 'integer', (c) => c.notNull())
		.addColumn('label', 'text', (c) => c.notNull())
		.addColumn('name', 'text', (c) => c.notNull())
		.addColumn('group_name', 'text', (c) => c.notNull())
		.addColumn('tag', 'text', (c) => c.notNull())
		.addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addUniqueConstraint('talkgroups_system_ref', ['system_id', 'talkgroup_ref'])
		.execute();

	await db.schema
		.createTable('user_access')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('system_id', 'integer', (c) =>
			c.notNull().references('systems.id').onDelete('cascade')
		)
		.addColumn('talkgroup_id', 'integer', (c) => c.references('talkgroups.id').onDelete('cascade'))
		.execute();
	await db.schema.createIndex('user_access_user').on('user_access').column('user_id').execute();

	await db.schema
		.createTable('units')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('system_id', 'integer', (c) =>
			c.notNull().references('systems.id').onDelete('cascade')
		)
		.addColumn('unit_ref', 'integer', (c) => c.notNull())
		.addColumn('alias', 'text', (c) => c.notNull())
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addUniqueConstraint('units_system_ref', ['system_id', 'unit_ref'])
		.execute();

	await db.schema
		.createTable('calls')
		.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
		.addColumn('system_id', 'integer', (c) =>
			c.notNull().references('systems.id').onDelete('cascade')
		)
		.addColumn('talkgroup_id', 'integer', (c) =>
			c.notNull().references('talkgroups.id').onDelete('cascade')
		)
		.addColumn('date_time', 'integer', (c) => c.notNull())
		.addColumn('frequency', 'integer')
		.addColumn('duration', 'real', (c) => c.notNull())
		.addColumn('audio_path', 'text', (c) => c.notNull())
		.addColumn('audio_type', 'text', (c) => c.notNull())
		.addColumn('audio_size', 'integer', (c) => c.notNull())
		.addColumn('audio_name', 'text', (c) => c.notNull())
		.addColumn('source', 'integer')
		.addColumn('frequencies', 'text', (c) => c.notNull())
		.addColumn('sources', 'text', (c) => c.notNull())
		.addColumn('patches', 'text', (c) => c.notNull())
		.addColumn('api_key_id', 'integer', (c) => c.references('api_keys.id').onDelete('set null'))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.execute();
	await db.schema
		.createIndex('calls_date')
		.on('calls')
		.columns(['date_time desc', 'id desc'])
		.execute();
	await db.schema
		.createIndex('calls_talkgroup_date')
		.on('calls')
		.columns(['talkgroup_id', 'date_time desc'])
		.execute();
	await db.schema
		.createIndex('calls_system_date')
		.on('calls')
		.columns(['system_id', 'date_time desc'])
		.execute();

	await db.schema
		.createTable('bookmarks')
		.addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
		.addColumn('call_id', 'integer', (c) => c.notNull().references('calls.id').onDelete('cascade'))
		.addColumn('created_at', 'integer', (c) => c.notNull())
		.addPrimaryKeyConstraint('bookmarks_pk', ['user_id', 'call_id'])
		.execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
	for (const table of [
		'bookmarks',
		'calls',
		'units',
		'user_access',
		'talkgroups',
		'systems',
		'api_keys',
		'events',
		'settings',
		'secrets',
		'sessions',
		'users'
	]) {
		await db.schema.dropTable(table).ifExists().execute();
	}
}

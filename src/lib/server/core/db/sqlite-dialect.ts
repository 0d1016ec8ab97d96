import {
	CompiledQuery,
	SqliteDialect,
	SqliteDriver,
	type DatabaseConnection,
	type Driver,
	type SqliteDialectConfig
} from 'kysely';

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) `begin`. A deferred
 * transaction that reads first and writes later cannot wait for the write lock: if another
 * process on the same file committed in between, SQLite answers SQLITE_BUSY at once and
 * `busy_timeout` never applies. `begin immediate` takes the write lock up front, so a second
 * process (a migration, `npm run migrate`, two instances on one file) waits instead of failing
 * an upload. In one process nothing changes: Kysely runs one transaction at a time there.
 */
class ImmediateSqliteDriver extends SqliteDriver {
	override async beginTransaction(connection: DatabaseConnection): Promise<void> {
		await connection.executeQuery(CompiledQuery.raw('begin immediate'));
	}
}

export class ImmediateSqliteDialect extends SqliteDialect {
	readonly #config: SqliteDialectConfig;

	constructor(config: SqliteDialectConfig) {
		super(config);
		this.#config = config;
	}

	override createDriver(): Driver {
		return new ImmediateSqliteDriver(this.#config);
	}
}

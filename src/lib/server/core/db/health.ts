import { sql, type Kysely } from 'kysely';
import { dialectOf, type Dialect } from './dialect';

export interface DatabaseHealth {
	dialect: Dialect;
	ok: boolean;
}

/**
 * A cheap round trip to the database, for /api/health (a load balancer takes an instance whose
 * database does not answer out of rotation). Bounded: a hung connection counts as down.
 */
export async function databaseHealth(
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	db: Kysely<any>,
	timeoutMs = 2_000
): Promise<DatabaseHealth> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<false>((resolve) => {
		timer = setTimeout(() => resolve(false), timeoutMs);
	});
	const probe = sql`select 1`.execute(db).then(
		() => true,
		() => false
	);
	try {
		return { dialect: dialectOf(db), ok: await Promise.race([probe, timeout]) };
	} finally {
		clearTimeout(timer);
	}
}

import type { DB } from '../core/db';
import { accessScopes, type AccessScope } from '../calls/access';

/** Users per statement (one bound value each). */
const CHUNK = 500;

/**
 * The users among these who may get alerts now (enabled, not past their expiry), with what each
 * may hear: read from the database for every decision, so a grant, a disabled account or an
 * expiry applies to the next decided call, in every instance. Two statements per 500 users.
 */
export async function hearingOf(
	db: DB,
	userIds: Iterable<number>,
	now: number
): Promise<Map<number, AccessScope>> {
	const ids = [...new Set(userIds)];
	const hearing = new Map<number, AccessScope>();
	for (let i = 0; i < ids.length; i += CHUNK) {
		const users = await db
			.selectFrom('users')
			.select(['id', 'role', 'access_all', 'disabled', 'expires_at'])
			.where('id', 'in', ids.slice(i, i + CHUNK))
			.execute();
		const active = users.filter(
			(u) => u.disabled !== 1 && (u.expires_at === null || u.expires_at > now)
		);
		for (const [id, scope] of await accessScopes(db, active)) hearing.set(id, scope);
	}
	return hearing;
}

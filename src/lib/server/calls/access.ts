import type { DB } from '../core/db';
import type { Viewer } from '../auth/access-token';
import type { Clock } from '../core/clock';
import { getSettings } from '../core/settings';
import type { BusView } from '../core/bus-view';
import { audienceOf, type Audience } from './publish';
import { chunks } from '../core/db/chunks';

/**
 * Users per grants read (one bound value each): however many rule owners an alert decision
 * weighs, no statement nears either database's limit on bound parameters.
 */
export const USERS_PER_GRANTS_READ = 1_000;

/** A signed-in user's grants and delay audience, by user id (the audio endpoint's view). */
export type ScopeView = BusView<number, { scope: AccessScope; audience: Audience }>;

/**
 * The scope of the archive and audio endpoints: what the viewer may hear, now. With a `view`
 * (the audio endpoint) a signed-in user's grants may come from memory, kept current by
 * `access.changed` (core/bus-view.ts).
 */
export async function audibleScope(
	deps: { db: DB; clock: Clock },
	viewer: Viewer | null,
	view?: ScopeView
): Promise<AccessScope> {
	const read = async () => {
		const [scope, audience] = await Promise.all([
			accessScope(deps.db, viewer),
			audienceOf(deps.db, viewer)
		]);
		return { scope, audience };
	};
	const { scope, audience } =
		view && viewer ? await view.through(viewer.userId, viewer.userId, read) : await read();
	return { ...scope, audible: { audience, now: deps.clock.now() } };
}

/**
 * What a viewer may hear. Admins and users with access_all hear everything; anyone else hears
 * exactly the systems and talkgroups granted in user_access, and nothing when a grant is missing
 * or malformed (fail closed). Anonymous listeners (public listening) hear everything public.
 */
export type AccessScope = (
	{ all: true } | { all: false; systemIds: Set<number>; talkgroupIds: Set<number> }
) & {
	/**
	 * Broadcast delay and the audio pipeline (calls/publish.ts): with this, the archive and the
	 * audio endpoint show only calls whose audio is final and, for the `public` audience, due.
	 */
	audible?: { audience: Audience; now: number };
};

export const NO_ACCESS: AccessScope = { all: false, systemIds: new Set(), talkgroupIds: new Set() };

export async function accessScope(db: DB, viewer: Viewer | null): Promise<AccessScope> {
	if (!viewer) return { all: true };
	if (viewer.role === 'admin') return { all: true };
	const user = await db
		.selectFrom('users')
		.select('access_all')
		.where('id', '=', viewer.userId)
		.executeTakeFirst();
	if (!user) return NO_ACCESS;
	if (user.access_all === 1) return { all: true };
	return (await grantedScopes(db, [viewer.userId])).get(viewer.userId) ?? NO_ACCESS;
}

/**
 * What each of these users (rows of `users`) may hear: their grants read together, one statement
 * per `perStatement` users.
 */
export async function accessScopes(
	db: DB,
	users: Array<{ id: number; role: string; access_all: number }>,
	perStatement = USERS_PER_GRANTS_READ
): Promise<Map<number, AccessScope>> {
	const scopes = new Map<number, AccessScope>();
	const granted: number[] = [];
	for (const u of users)
		if (u.role === 'admin' || u.access_all === 1) scopes.set(u.id, { all: true });
		else granted.push(u.id);
	for (const part of chunks(granted, perStatement))
		for (const [id, scope] of await grantedScopes(db, part)) scopes.set(id, scope);
	return scopes;
}

/**
 * The scopes that user_access grants. Each grant is checked against what exists: a grant to a
 * system or talkgroup that is gone, or a talkgroup grant whose system does not match the
 * talkgroup's, grants nothing.
 */
async function grantedScopes(db: DB, userIds: number[]): Promise<Map<number, AccessScope>> {
	const scopes = new Map<number, AccessScope & { all: false }>();
	for (const id of userIds)
		scopes.set(id, { all: false, systemIds: new Set(), talkgroupIds: new Set() });
	const grants = await db
		.selectFrom('user_access')
		.leftJoin('systems', 'systems.id', 'user_access.system_id')
		.leftJoin('talkgroups', 'talkgroups.id', 'user_access.talkgroup_id')
		.select([
			'user_access.user_id',
			'user_access.system_id',
			'user_access.talkgroup_id',
			'systems.id as existing_system',
			'talkgroups.system_id as talkgroup_system'
		])
		.where('user_access.user_id', 'in', userIds)
		.execute();
	for (const g of grants) {
		const scope = scopes.get(g.user_id);
		if (!scope || !Number.isInteger(g.system_id) || g.existing_system !== g.system_id) continue;
		if (g.talkgroup_id === null) scope.systemIds.add(g.system_id);
		else if (Number.isInteger(g.talkgroup_id) && g.talkgroup_system === g.system_id)
			scope.talkgroupIds.add(g.talkgroup_id);
	}
	return scopes;
}

/** systemId / talkgroupId are database ids (calls.system_id, calls.talkgroup_id). */
export function canHear(scope: AccessScope, systemId: number, talkgroupId: number): boolean {
	return scope.all || scope.systemIds.has(systemId) || scope.talkgroupIds.has(talkgroupId);
}

/**
 * What a viewer may hear now, or null when they may not listen at all: an anonymous viewer while
 * public listening is off, or an account that is gone, disabled or past its expiry. For streams
 * that outlive the check that let them start (live.calls re-asks whenever access changes).
 */
export async function listeningScope(
	deps: { db: DB; clock: Clock },
	viewer: Viewer | null
): Promise<AccessScope | null> {
	if (!viewer) return (await getSettings(deps.db)).publicListening ? { all: true } : null;
	const user = await deps.db
		.selectFrom('users')
		.select(['disabled', 'expires_at'])
		.where('id', '=', viewer.userId)
		.executeTakeFirst();
	if (!user || user.disabled) return null;
	if (user.expires_at !== null && user.expires_at <= deps.clock.now()) return null;
	return accessScope(deps.db, viewer);
}

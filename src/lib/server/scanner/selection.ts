import { ServiceError } from '../core/errors';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { serializeOn } from '../core/db/dialect';

/**
 * The scanner's talkgroup selection: per user, the talkgroups turned off (radio numbers). It
 * follows the user to every device, and the live stream leaves these talkgroups out.
 */
export interface TalkgroupRef {
	system: number;
	talkgroup: number;
}

export interface SelectionDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

/** More than any real site has; bounds what one request may write. */
export const MAX_MUTED = 10_000;

export const mutedKey = (system: number, talkgroup: number) => `${system}:${talkgroup}`;

export async function getMuted(db: DB, userId: number): Promise<TalkgroupRef[]> {
	const rows = await db
		.selectFrom('scanner_muted')
		.select(['system_ref', 'talkgroup_ref'])
		.where('user_id', '=', userId)
		.orderBy('system_ref')
		.orderBy('talkgroup_ref')
		.execute();
	return rows.map((r) => ({ system: r.system_ref, talkgroup: r.talkgroup_ref }));
}

/** The muted set as the stream checks it, keyed by mutedKey(system, talkgroup). */
export async function mutedSet(db: DB, userId: number): Promise<Set<string>> {
	return new Set((await getMuted(db, userId)).map((m) => mutedKey(m.system, m.talkgroup)));
}

/**
 * Replaces the user's selection in one transaction, then announces `access.changed` for the user
 * so their open live streams resubscribe with the new filter.
 */
export async function setMuted(
	deps: SelectionDeps,
	userId: number,
	muted: TalkgroupRef[]
): Promise<TalkgroupRef[]> {
	if (muted.length > MAX_MUTED)
		throw new ServiceError('BAD_REQUEST', `muted: at most ${MAX_MUTED} talkgroups`);
	const unique = new Map(muted.map((m) => [mutedKey(m.system, m.talkgroup), m]));
	const now = deps.clock.now();
	await deps.db.transaction().execute(async (trx) => {
		// Delete-then-insert: two saves at once (two devices) on PostgreSQL would collide on the key.
		await serializeOn(trx, `scanner_muted.user:${userId}`);
		await trx.deleteFrom('scanner_muted').where('user_id', '=', userId).execute();
		const rows = [...unique.values()].map((m) => ({
			user_id: userId,
			system_ref: m.system,
			talkgroup_ref: m.talkgroup,
			created_at: now
		}));
		// SQLite limits bound variables per statement; insert in slices.
		for (let i = 0; i < rows.length; i += 500)
			await trx
				.insertInto('scanner_muted')
				.values(rows.slice(i, i + 500))
				.execute();
	});
	deps.bus.publish('access.changed', { userId });
	return getMuted(deps.db, userId);
}

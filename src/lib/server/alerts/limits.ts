import type { DB } from '../core/db';
import { forUpdate } from '../core/db/dialect';
import { chunks } from '../core/db/chunks';

/**
 * The flood limits, as rows so they hold across restarts and across instances sharing one
 * database: one alert per rule and talkgroup per cool-down, and at most `perMinute` alerts per
 * user per minute. What they hold back is counted into the next alert of that rule and
 * talkgroup. A decision reads the rows it needs once (`loadLimits`), passes every firing rule of
 * its calls through them in memory (`admit`) and writes back the rows that changed
 * (`saveLimits`), all in its transaction. Every writer holds the alerts feed lock while it does
 * (decide.ts), so on PostgreSQL decisions take turns and none reads rows another is changing;
 * SQLite has one writer at a time anyway. A failed decision leaves the limits as they were.
 */

export interface LimitKey {
	userId: number;
	ruleId: number;
	/** The talkgroup's database id. */
	talkgroupId: number;
}

interface Cooldown {
	lastAt: number;
	suppressed: number;
	carried: number;
	/** Not stored yet, or changed since it was read. */
	dirty: boolean;
}

interface Minute {
	windowStart: number;
	count: number;
	dirty: boolean;
}

/** The rows of one decision's keys and users, as read and as changed since. */
export interface LimitState {
	cooldowns: Map<string, Cooldown & LimitKey>;
	minutes: Map<number, Minute>;
}

const MINUTE_MS = 60_000;
/** Keys per statement: three bound values each, far below either database's limit. */
const CHUNK = 250;

const keyOf = (k: LimitKey) => `${k.userId}:${k.ruleId}:${k.talkgroupId}`;

/** Reads the cool-down rows of these keys and the minute rows of their users (locked on PostgreSQL). */
export async function loadLimits(trx: DB, keys: LimitKey[]): Promise<LimitState> {
	const state: LimitState = { cooldowns: new Map(), minutes: new Map() };
	const unique = new Map(keys.map((k) => [keyOf(k), k]));
	for (const part of chunks([...unique.values()], CHUNK)) {
		const rows = await forUpdate(
			trx,
			trx
				.selectFrom('alert_cooldowns')
				.select(['user_id', 'rule_id', 'talkgroup_id', 'last_at', 'suppressed', 'carried'])
				.where((eb) =>
					eb(
						eb.refTuple('user_id', 'rule_id', 'talkgroup_id'),
						'in',
						part.map((k) => eb.tuple(k.userId, k.ruleId, k.talkgroupId))
					)
				)
		).execute();
		for (const r of rows) {
			const key = { userId: r.user_id, ruleId: r.rule_id, talkgroupId: r.talkgroup_id };
			state.cooldowns.set(keyOf(key), {
				...key,
				lastAt: r.last_at,
				suppressed: r.suppressed,
				carried: r.carried,
				dirty: false
			});
		}
	}
	const users = [...new Set(keys.map((k) => k.userId))];
	for (const part of chunks(users, CHUNK)) {
		const rows = await forUpdate(
			trx,
			trx
				.selectFrom('alert_minutes')
				.select(['user_id', 'window_start', 'count'])
				.where('user_id', 'in', part)
		).execute();
		for (const r of rows)
			state.minutes.set(r.user_id, { windowStart: r.window_start, count: r.count, dirty: false });
	}
	return state;
}

/**
 * Passes one firing rule through the limits: returns the held-back count to fold into the alert
 * when it may go, or null when it is held back (and counted). A new window or cool-down starts
 * when the last one is over.
 */
export function admit(
	state: LimitState,
	key: LimitKey,
	cooldownMs: number,
	perMinute: number,
	now: number
): number | null {
	const id = keyOf(key);
	let cooldown = state.cooldowns.get(id);
	if (!cooldown) {
		cooldown = { ...key, lastAt: 0, suppressed: 0, carried: 0, dirty: true };
		state.cooldowns.set(id, cooldown);
	}
	let minute = state.minutes.get(key.userId);
	if (!minute) {
		minute = { windowStart: now, count: 0, dirty: true };
		state.minutes.set(key.userId, minute);
	}
	if (minute.windowStart <= now - MINUTE_MS) {
		minute.windowStart = now;
		minute.count = 0;
		minute.dirty = true;
	}
	const cooled = cooldown.lastAt === 0 || cooldown.lastAt <= now - cooldownMs;
	cooldown.dirty = true;
	if (minute.count < perMinute && cooled) {
		minute.count++;
		minute.dirty = true;
		cooldown.carried = cooldown.suppressed;
		cooldown.suppressed = 0;
		cooldown.lastAt = now;
		return cooldown.carried;
	}
	cooldown.suppressed++;
	return null;
}

/** Writes back the rows `admit` changed: one statement per table and chunk. */
export async function saveLimits(trx: DB, state: LimitState): Promise<void> {
	const cooldowns = [...state.cooldowns.values()].filter((c) => c.dirty);
	for (const part of chunks(cooldowns, CHUNK))
		await trx
			.insertInto('alert_cooldowns')
			.values(
				part.map((c) => ({
					user_id: c.userId,
					rule_id: c.ruleId,
					talkgroup_id: c.talkgroupId,
					last_at: c.lastAt,
					suppressed: c.suppressed,
					carried: c.carried
				}))
			)
			.onConflict((oc) =>
				oc.columns(['user_id', 'rule_id', 'talkgroup_id']).doUpdateSet((eb) => ({
					last_at: eb.ref('excluded.last_at'),
					suppressed: eb.ref('excluded.suppressed'),
					carried: eb.ref('excluded.carried')
				}))
			)
			.execute();
	const minutes = [...state.minutes].filter(([, m]) => m.dirty);
	for (const part of chunks(minutes, CHUNK))
		await trx
			.insertInto('alert_minutes')
			.values(
				part.map(([userId, m]) => ({
					user_id: userId,
					window_start: m.windowStart,
					count: m.count
				}))
			)
			.onConflict((oc) =>
				oc.column('user_id').doUpdateSet((eb) => ({
					window_start: eb.ref('excluded.window_start'),
					count: eb.ref('excluded.count')
				}))
			)
			.execute();
	for (const c of cooldowns) c.dirty = false;
	for (const [, m] of minutes) m.dirty = false;
}

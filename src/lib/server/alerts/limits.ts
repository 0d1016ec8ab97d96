import type { DB } from '../core/db';

/**
 * The flood limits, as rows so they hold across restarts and across instances sharing one
 * database: one alert per rule and talkgroup per cool-down, and at most `perMinute` alerts per
 * user per minute. What they hold back is counted into the next alert of that rule and
 * talkgroup. Each step is a conditional update, so two evaluators deciding at once cannot both
 * pass (on PostgreSQL the second waits on the row lock, then finds the condition false).
 * Run inside the decision's transaction, so a failed decision leaves the limits as they were.
 */

export interface LimitKey {
	userId: number;
	ruleId: number;
	/** The talkgroup's database id. */
	talkgroupId: number;
}

const MINUTE_MS = 60_000;

/** Returns the held-back count to fold into the alert when it may go, or null when held back. */
export async function admit(
	trx: DB,
	key: LimitKey,
	cooldownMs: number,
	perMinute: number,
	now: number
): Promise<number | null> {
	await trx
		.insertInto('alert_cooldowns')
		.values({
			user_id: key.userId,
			rule_id: key.ruleId,
			talkgroup_id: key.talkgroupId,
			last_at: 0
		})
		.onConflict((oc) => oc.columns(['user_id', 'rule_id', 'talkgroup_id']).doNothing())
		.execute();
	const slot = await claimMinute(trx, key.userId, perMinute, now);
	if (slot !== null) {
		const carried = await claimCooldown(trx, key, cooldownMs, now);
		if (carried !== null) return carried;
		await releaseMinute(trx, key.userId, slot);
	}
	await trx
		.updateTable('alert_cooldowns')
		.set((eb) => ({ suppressed: eb('suppressed', '+', 1) }))
		.where('user_id', '=', key.userId)
		.where('rule_id', '=', key.ruleId)
		.where('talkgroup_id', '=', key.talkgroupId)
		.execute();
	return null;
}

/** Takes a slot in the user's current minute; returns that minute's start, or null when full. */
async function claimMinute(
	trx: DB,
	userId: number,
	perMinute: number,
	now: number
): Promise<number | null> {
	await trx
		.insertInto('alert_minutes')
		.values({ user_id: userId, window_start: now, count: 0 })
		.onConflict((oc) => oc.column('user_id').doNothing())
		.execute();
	const fresh = await trx
		.updateTable('alert_minutes')
		.set({ window_start: now, count: 1 })
		.where('user_id', '=', userId)
		.where('window_start', '<=', now - MINUTE_MS)
		.executeTakeFirst();
	if (Number(fresh.numUpdatedRows) === 1) return now;
	const row = await trx
		.updateTable('alert_minutes')
		.set((eb) => ({ count: eb('count', '+', 1) }))
		.where('user_id', '=', userId)
		.where('window_start', '>', now - MINUTE_MS)
		.where('count', '<', perMinute)
		.returning('window_start')
		.executeTakeFirst();
	return row ? row.window_start : null;
}

async function releaseMinute(trx: DB, userId: number, windowStart: number) {
	await trx
		.updateTable('alert_minutes')
		.set((eb) => ({ count: eb('count', '-', 1) }))
		.where('user_id', '=', userId)
		.where('window_start', '=', windowStart)
		.where('count', '>', 0)
		.execute();
}

/**
 * Starts a new cool-down when the last one is over; returns what was held back during it
 * (SET reads the old values, so `carried` takes the count `suppressed` is reset from).
 */
async function claimCooldown(
	trx: DB,
	key: LimitKey,
	cooldownMs: number,
	now: number
): Promise<number | null> {
	const row = await trx
		.updateTable('alert_cooldowns')
		.set((eb) => ({ last_at: now, carried: eb.ref('suppressed'), suppressed: 0 }))
		.where('user_id', '=', key.userId)
		.where('rule_id', '=', key.ruleId)
		.where('talkgroup_id', '=', key.talkgroupId)
		.where((eb) => eb.or([eb('last_at', '=', 0), eb('last_at', '<=', now - cooldownMs)]))
		.returning('carried')
		.executeTakeFirst();
	return row ? row.carried : null;
}

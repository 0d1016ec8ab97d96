import type { Clock } from '../core/clock';
import { lockFeed } from '../core/db/feed-lock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear, type AccessScope } from '../calls/access';
import { getSettings } from '../core/settings';
import { inQuietHours, type CallFacts } from './match';
import { ruleIndex, type AlertRule } from './rules';
import type { RuleIndex } from './rule-index';
import { callFactsOf } from './facts';
import { admit } from './limits';
import { enqueuePush } from './push-outbox';

/** What a push message and an in-page alert carry (docs/api.md). */
export interface AlertPayload {
	callId: number;
	rule: { id: number; name: string };
	system: { id: number; label: string };
	talkgroup: { id: number; label: string };
	unit: { id: number; alias: string } | null;
	/** Call start, epoch ms. */
	time: number;
	sound: string;
	/** Alerts the cool-down or the per-minute cap held back since this rule's previous alert. */
	suppressed: number;
}

export interface DecideDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	config: { alertsPerMinute: number };
}

/** What each user may hear, read once per batch of calls (null: may get no alerts). */
type Hearing = Map<number, AccessScope | null>;

/** Users who may get alerts: enabled, not expired, with what they may hear right now. */
async function loadHearing(db: DB, hearing: Hearing, userIds: number[], now: number) {
	const missing = userIds.filter((id) => !hearing.has(id));
	if (!missing.length) return;
	for (const id of missing) hearing.set(id, null);
	const users = await db
		.selectFrom('users')
		.select(['id', 'role', 'disabled', 'expires_at'])
		.where('id', 'in', missing)
		.execute();
	for (const u of users) {
		if (u.disabled === 1 || (u.expires_at !== null && u.expires_at <= now)) continue;
		hearing.set(u.id, await accessScope(db, { userId: u.id, role: u.role } as Viewer));
	}
}

/**
 * The rules that fire for a call before the flood limits: its candidates from the index whose
 * match fields hold, outside quiet hours, owned by a user who may hear the call. Grants are read
 * per batch, so a change takes effect on the next one.
 */
async function firingRules(
	deps: DecideDeps,
	index: RuleIndex,
	call: CallFacts,
	hearing: Hearing,
	now: number
): Promise<AlertRule[]> {
	const matched = index.matching(call).filter((r) => !inQuietHours(r.quietHours, now));
	if (!matched.length) return [];
	await loadHearing(deps.db, hearing, [...new Set(matched.map((r) => r.userId))], now);
	return matched.filter((r) => {
		const scope = hearing.get(r.userId);
		return scope && canHear(scope, call.systemId, call.talkgroupId);
	});
}

/**
 * Moves the decision cursor up to `callId`; false when an evaluator (this or another instance)
 * already decided it. Conditional, so two evaluators cannot both decide one call.
 */
export async function claimThrough(db: DB, callId: number): Promise<boolean> {
	const claim = () =>
		db
			.updateTable('alert_cursor')
			.set({ call_id: callId })
			.where('id', '=', 1)
			.where('call_id', '<', callId)
			.executeTakeFirst();
	if (Number((await claim()).numUpdatedRows) === 1) return true;
	// No cursor row yet (a decision before the worker's first start): make it, then claim.
	const made = await db
		.insertInto('alert_cursor')
		.values({ id: 1, call_id: 0 })
		.onConflict((oc) => oc.column('id').doNothing())
		.executeTakeFirst();
	return (
		Number(made.numInsertedOrUpdatedRows ?? 0) === 1 && Number((await claim()).numUpdatedRows) === 1
	);
}

function payloadOf(rule: AlertRule, call: CallFacts, suppressed: number): AlertPayload {
	return {
		callId: call.callId,
		rule: { id: rule.id, name: rule.name },
		system: { id: call.system, label: call.systemLabel },
		talkgroup: { id: call.talkgroup, label: call.talkgroupLabel },
		unit: call.units.length ? { id: call.units[0], alias: call.unitAlias } : null,
		time: call.dateTime,
		sound: rule.sound,
		suppressed
	};
}

/**
 * Decides one call whose rules fire: claims the call, passes each rule through the flood limits
 * and writes the alerts (and their pushes), all in one transaction.
 */
async function decideCall(
	deps: DecideDeps,
	call: CallFacts,
	rules: AlertRule[],
	now: number,
	claim = true
): Promise<number[]> {
	const ids = await deps.db.transaction().execute(async (trx) => {
		if (claim && !(await claimThrough(trx, call.callId))) return [];
		// Alert ids must commit in order for `alerts.live` readers (several instances write them).
		await lockFeed(trx, 'alerts');
		const push = (await getSettings(trx)).webPush;
		const ids: number[] = [];
		for (const rule of rules) {
			const key = { userId: rule.userId, ruleId: rule.id, talkgroupId: call.talkgroupId };
			const cooldownMs = rule.cooldownSeconds * 1000;
			const suppressed = await admit(trx, key, cooldownMs, deps.config.alertsPerMinute, now);
			if (suppressed === null) continue;
			const row = await trx
				.insertInto('alerts')
				.values({
					user_id: rule.userId,
					rule_id: rule.id,
					call_id: call.callId,
					at: now,
					suppressed,
					data: JSON.stringify(payloadOf(rule, call, suppressed))
				})
				.onConflict((oc) => oc.columns(['rule_id', 'call_id']).doNothing())
				.returning('id')
				.executeTakeFirst();
			if (!row) continue;
			ids.push(row.id);
			if (push) await enqueuePush(trx, deps.clock, row.id, rule.userId);
		}
		return ids;
	});
	if (ids.length) deps.bus.publish('alert.raised', { id: ids[ids.length - 1] });
	return ids;
}

/**
 * Decides stored calls in id order; only calls with firing rules cost a transaction (which claims
 * the call through the shared cursor). Returns the alerts raised. Moving the cursor past calls
 * that raised nothing is the caller's (the worker batches it; see worker.ts).
 */
export async function decideCalls(deps: DecideDeps, calls: CallFacts[]): Promise<number[]> {
	if (!calls.length) return [];
	const index = await ruleIndex(deps.db);
	const now = deps.clock.now();
	const hearing: Hearing = new Map();
	const ids: number[] = [];
	for (const call of calls) {
		const rules = await firingRules(deps, index, call, hearing, now);
		if (rules.length) ids.push(...(await decideCall(deps, call, rules, now)));
	}
	return ids;
}

/** Decides one stored call (the worker decides batches; see decideCalls). */
export async function decideAlerts(deps: DecideDeps, callId: number): Promise<number[]> {
	const call = await callFactsOf(deps.db, callId);
	if (!call) return [];
	const ids = await decideCalls(deps, [call]);
	await claimThrough(deps.db, callId);
	return ids;
}

/**
 * Decides the keyword rules of a call whose transcript just arrived (alerts/keywords.ts): the
 * rest of each rule's match, quiet hours, access and the flood limits apply as at ingest. Not
 * through the cursor (the call was decided at ingest); an alert per rule and call at most.
 */
export async function decideTranscript(
	deps: DecideDeps,
	callId: number,
	transcript: string
): Promise<number[]> {
	const facts = await callFactsOf(deps.db, callId);
	if (!facts) return [];
	const call = { ...facts, transcript };
	const now = deps.clock.now();
	const rules = (await firingRules(deps, await ruleIndex(deps.db), call, new Map(), now)).filter(
		(r) => r.keywords.length > 0
	);
	return rules.length ? decideCall(deps, call, rules, now, false) : [];
}

import type { Clock } from '../core/clock';
import { lockFeed } from '../core/db/feed-lock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { canHear } from '../calls/access';
import { getSettings } from '../core/settings';
import { quietHoursAt, type CallFacts } from './match';
import { ruleIndex, type AlertRule } from './rules';
import type { RuleIndex } from './rule-index';
import { callFactsOf } from './facts';
import { hearingOf } from './hearing';
import { claimCalls, claimThrough } from './cursor';
import { admit, loadLimits, saveLimits } from './limits';
import { enqueuePushes } from './push-outbox';

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

/** A call and the rules that fire for it before the flood limits, in id order. */
interface Firing {
	call: CallFacts;
	rules: AlertRule[];
}

/** Alerts per insert statement (six bound values each). */
const ALERTS_PER_INSERT = 100;

/**
 * The rules that fire for each call before the flood limits: its candidates from the index whose
 * match fields hold (and `also`), outside quiet hours, owned by a user who may hear the call now.
 * Calls no rule matches cost no database work; the owners of the rules that match are read
 * once for all the calls (hearing.ts).
 */
async function firingRules(
	db: DB,
	index: RuleIndex,
	calls: CallFacts[],
	now: number,
	also: (rule: AlertRule) => boolean = () => true
): Promise<Firing[]> {
	const quiet = quietHoursAt(now);
	const matched: Firing[] = [];
	for (const call of calls) {
		const rules = index.matching(call).filter((r) => also(r) && !quiet(r.quietHours));
		if (rules.length) matched.push({ call, rules });
	}
	if (!matched.length) return [];
	const hearing = await hearingOf(
		db,
		matched.flatMap((f) => f.rules.map((r) => r.userId)),
		now
	);
	return matched
		.map(({ call, rules }) => ({
			call,
			rules: rules.filter((r) => {
				const scope = hearing.get(r.userId);
				return scope !== undefined && canHear(scope, call.systemId, call.talkgroupId);
			})
		}))
		.filter((f) => f.rules.length > 0);
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

/** Writes the alerts that passed the limits (a rule alerts once per call) and their pushes. */
async function writeAlerts(
	trx: DB,
	clock: Clock,
	passed: Array<{ rule: AlertRule; call: CallFacts; suppressed: number }>,
	now: number
): Promise<number[]> {
	const rows = passed.map(({ rule, call, suppressed }) => ({
		user_id: rule.userId,
		rule_id: rule.id,
		call_id: call.callId,
		at: now,
		suppressed,
		data: JSON.stringify(payloadOf(rule, call, suppressed))
	}));
	const written: Array<{ id: number; user_id: number }> = [];
	for (let i = 0; i < rows.length; i += ALERTS_PER_INSERT)
		written.push(
			...(await trx
				.insertInto('alerts')
				.values(rows.slice(i, i + ALERTS_PER_INSERT))
				.onConflict((oc) => oc.columns(['rule_id', 'call_id']).doNothing())
				.returning(['id', 'user_id'])
				.execute())
		);
	written.sort((a, b) => a.id - b.id);
	if (written.length && (await getSettings(trx)).webPush) await enqueuePushes(trx, clock, written);
	return written.map((a) => a.id);
}

/**
 * Decides calls whose rules fire, in one transaction: claims them through the shared cursor
 * (unless `claim` is false; calls another evaluator claimed first are left to it), passes each
 * rule through the flood limits in call and rule order, and writes the alerts and their pushes.
 */
async function decideFiring(
	deps: DecideDeps,
	firing: Firing[],
	now: number,
	claim: boolean
): Promise<number[]> {
	const ids = await deps.db.transaction().execute(async (trx) => {
		let todo = firing;
		if (claim) {
			const after = await claimCalls(trx, firing[0].call.callId, firing.at(-1)!.call.callId);
			todo = firing.filter((f) => f.call.callId > after);
			if (!todo.length) return [];
		}
		// Alert ids must commit in order for `alerts.live` readers (several instances write them);
		// the same lock makes decisions take turns on the flood limits (limits.ts).
		await lockFeed(trx, 'alerts');
		const keyOf = (rule: AlertRule, call: CallFacts) => ({
			userId: rule.userId,
			ruleId: rule.id,
			talkgroupId: call.talkgroupId
		});
		const limits = await loadLimits(
			trx,
			todo.flatMap(({ call, rules }) => rules.map((r) => keyOf(r, call)))
		);
		const passed = [];
		for (const { call, rules } of todo)
			for (const rule of rules) {
				const cooldownMs = rule.cooldownSeconds * 1000;
				const held = admit(limits, keyOf(rule, call), cooldownMs, deps.config.alertsPerMinute, now);
				if (held !== null) passed.push({ rule, call, suppressed: held });
			}
		await saveLimits(trx, limits);
		return passed.length ? writeAlerts(trx, deps.clock, passed, now) : [];
	});
	if (ids.length) deps.bus.publish('alert.raised', { id: ids[ids.length - 1] });
	return ids;
}

/**
 * Decides stored calls (in id order); only a batch with firing rules costs a transaction, which
 * claims its calls through the shared cursor. Returns the alerts raised. Moving the cursor past
 * calls that raised nothing is the caller's (the worker batches it; see worker.ts).
 */
export async function decideCalls(deps: DecideDeps, calls: CallFacts[]): Promise<number[]> {
	if (!calls.length) return [];
	const now = deps.clock.now();
	const firing = await firingRules(deps.db, await ruleIndex(deps.db), calls, now);
	return firing.length ? decideFiring(deps, firing, now, true) : [];
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
	const now = deps.clock.now();
	const firing = await firingRules(
		deps.db,
		await ruleIndex(deps.db),
		[{ ...facts, transcript }],
		now,
		(r) => r.keywords.length > 0
	);
	return firing.length ? decideFiring(deps, firing, now, false) : [];
}

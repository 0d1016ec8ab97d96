import { lockFeed } from '../core/db/feed-lock';
import type { Insertable } from 'kysely';
import type { AlertsTable } from '../core/db/types';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear } from '../calls/access';
import { inQuietHours, matches, type CallFacts } from './match';
import { allRules, type AlertRule } from './rules';
import { enqueuePush } from './push-outbox';
import { getSettings } from '../core/settings';

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

interface Cooldown {
	lastAt: number;
	suppressed: number;
}

/**
 * The flood limits, in memory per process: one alert per rule and talkgroup per cool-down, and
 * at most `perMinute` alerts per user per minute. What they hold back is counted into the next
 * alert of that rule and talkgroup. A restart forgets them (at worst one extra alert each).
 */
export class AlertLimits {
	private cooldowns = new Map<string, Cooldown>();
	private minutes = new Map<number, { start: number; count: number }>();

	constructor(private perMinute: number) {}

	/** Returns the suppressed count to fold in when the alert may go, or null when held back. */
	admit(rule: AlertRule, call: CallFacts, now: number): number | null {
		const key = `${rule.id}:${call.talkgroupId}`;
		const cd = this.cooldowns.get(key);
		const cooling = cd !== undefined && now - cd.lastAt < rule.cooldownSeconds * 1000;
		let minute = this.minutes.get(rule.userId);
		if (!minute || now - minute.start >= 60_000) {
			minute = { start: now, count: 0 };
			this.minutes.set(rule.userId, minute);
		}
		if (cooling || minute.count >= this.perMinute) {
			if (cd) cd.suppressed++;
			else this.cooldowns.set(key, { lastAt: -Infinity, suppressed: 1 });
			return null;
		}
		minute.count++;
		const suppressed = cd?.suppressed ?? 0;
		this.cooldowns.set(key, { lastAt: now, suppressed: 0 });
		this.prune(now);
		return suppressed;
	}

	/** Keeps memory bounded: forget cool-downs a day old (longer than any rule's). */
	private prune(now: number) {
		if (this.cooldowns.size < 10_000) return;
		for (const [key, cd] of this.cooldowns)
			if (now - cd.lastAt > 86_400_000) this.cooldowns.delete(key);
	}
}

const limitsByDb = new WeakMap<DB, AlertLimits>();
function limitsFor(deps: DecideDeps): AlertLimits {
	let limits = limitsByDb.get(deps.db);
	if (!limits) limitsByDb.set(deps.db, (limits = new AlertLimits(deps.config.alertsPerMinute)));
	return limits;
}

/** The radio facts of a stored call, or null when it is gone. */
export async function callFacts(db: DB, callId: number): Promise<CallFacts | null> {
	const row = await db
		.selectFrom('calls')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
		.leftJoin('units', (j) =>
			j
				.onRef('units.system_id', '=', 'calls.system_id')
				.onRef('units.unit_ref', '=', 'calls.source')
		)
		.select([
			'calls.id',
			'calls.system_id',
			'calls.talkgroup_id',
			'calls.date_time',
			'calls.source',
			'calls.sources',
			'systems.system_ref',
			'systems.label as system_label',
			'talkgroups.talkgroup_ref',
			'talkgroups.label as tg_label',
			'talkgroups.group_name',
			'talkgroups.tag',
			'units.alias'
		])
		.where('calls.id', '=', callId)
		.executeTakeFirst();
	if (!row) return null;
	const units = new Set<number>();
	if (row.source !== null) units.add(row.source);
	try {
		const sources = JSON.parse(row.sources) as Array<{ src?: unknown }>;
		if (Array.isArray(sources))
			for (const s of sources) if (Number.isSafeInteger(s?.src)) units.add(s.src as number);
	} catch {
		// Stored sanitised; an unreadable list just adds no units.
	}
	return {
		callId: row.id,
		systemId: row.system_id,
		talkgroupId: row.talkgroup_id,
		system: row.system_ref,
		systemLabel: row.system_label,
		talkgroup: row.talkgroup_ref,
		talkgroupLabel: row.tg_label,
		group: row.group_name,
		tag: row.tag,
		units: [...units],
		unitAlias: row.alias ?? '',
		// Not stored yet: no recorder field is parsed for it, so emergency-only rules wait.
		emergency: false,
		dateTime: row.date_time
	};
}

/** Users who may get alerts: enabled, not expired, with what they may hear right now. */
async function hearingOf(db: DB, userIds: number[], now: number) {
	const users = await db
		.selectFrom('users')
		.select(['id', 'role', 'disabled', 'expires_at'])
		.where('id', 'in', userIds)
		.execute();
	const out = new Map<number, Awaited<ReturnType<typeof accessScope>>>();
	for (const u of users) {
		if (u.disabled === 1 || (u.expires_at !== null && u.expires_at <= now)) continue;
		out.set(u.id, await accessScope(db, { userId: u.id, role: u.role } as Viewer));
	}
	return out;
}

/**
 * Decides the alerts a stored call raises and writes them as `alerts` rows, with the decision
 * cursor, in one transaction: the in-page feed and the push worker read those rows.
 */
export async function decideAlerts(deps: DecideDeps, callId: number): Promise<number[]> {
	const rows = await planAlerts(deps, callId);
	const ids = await deps.db.transaction().execute(async (trx) => {
		// The claim: the cursor moves past this call only once, so with several instances
		// deciding (each wakes on every stored call) one of them writes its alerts.
		const claimed = await trx
			.insertInto('alert_cursor')
			.values({ id: 1, call_id: callId })
			.onConflict((oc) =>
				oc.column('id').doUpdateSet({ call_id: callId }).where('alert_cursor.call_id', '<', callId)
			)
			.returning('call_id')
			.executeTakeFirst();
		if (!claimed || rows.length === 0) return [];
		await lockFeed(trx, 'alerts');
		const push = (await getSettings(trx)).webPush;
		const ids: number[] = [];
		for (const row of rows) {
			const { id } = await trx
				.insertInto('alerts')
				.values(row)
				.returning('id')
				.executeTakeFirstOrThrow();
			ids.push(id);
			if (push) await enqueuePush(trx, id, row.user_id, row.at);
		}
		return ids;
	});
	if (ids.length) deps.bus.publish('alert.raised', { id: ids[ids.length - 1] });
	return ids;
}

async function planAlerts(deps: DecideDeps, callId: number): Promise<Insertable<AlertsTable>[]> {
	const rules = await allRules(deps.db);
	if (rules.length === 0) return [];
	const call = await callFacts(deps.db, callId);
	if (!call) return [];
	const now = deps.clock.now();
	const matched = rules.filter((r) => matches(r, call) && !inQuietHours(r.quietHours, now));
	if (matched.length === 0) return [];
	// Grants are read now, so a change takes effect on the next call.
	const hearing = await hearingOf(deps.db, [...new Set(matched.map((r) => r.userId))], now);
	const limits = limitsFor(deps);
	const rows: Insertable<AlertsTable>[] = [];
	for (const rule of matched) {
		const scope = hearing.get(rule.userId);
		if (!scope || !canHear(scope, call.systemId, call.talkgroupId)) continue;
		const suppressed = limits.admit(rule, call, now);
		if (suppressed === null) continue;
		const payload: AlertPayload = {
			callId: call.callId,
			rule: { id: rule.id, name: rule.name },
			system: { id: call.system, label: call.systemLabel },
			talkgroup: { id: call.talkgroup, label: call.talkgroupLabel },
			unit: call.units.length ? { id: call.units[0], alias: call.unitAlias } : null,
			time: call.dateTime,
			sound: rule.sound,
			suppressed
		};
		rows.push({
			user_id: rule.userId,
			rule_id: rule.id,
			call_id: call.callId,
			at: now,
			suppressed,
			data: JSON.stringify(payload)
		});
	}
	return rows;
}

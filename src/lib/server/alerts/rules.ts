import { ServiceError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { serializeOn } from '../core/db/dialect';
import type { Bus } from '../core/bus';
import type { Selectable } from 'kysely';
import type { AlertRulesTable } from '../core/db/types';
import { RuleIndex } from './rule-index';
import { normaliseKeyword } from './keywords';
import { isEmptyMatch, isTimeZone, type QuietHours, type RuleMatch } from './match';

/** Bounds on what one user may store (router schemas use the same numbers). */
export const MAX_RULES_PER_USER = 50;
export const MAX_LIST = 100;
export const MAX_NAME = 80;
export const MAX_LABEL = 100;
export const MAX_COOLDOWN_SECONDS = 86_400;
export const SOUNDS = ['beep', 'chime', 'siren', 'none'] as const;
export type Sound = (typeof SOUNDS)[number];

export interface RuleInput extends Omit<RuleMatch, 'keywords'> {
	name: string;
	sound: Sound;
	cooldownSeconds: number;
	quietHours: QuietHours | null;
	/** Optional: a rule without keywords is decided at ingest. */
	keywords?: string[];
}

export interface AlertRule extends Omit<RuleInput, 'keywords'>, RuleMatch {
	id: number;
	userId: number;
	createdAt: number;
	updatedAt: number;
}

export interface RuleDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

function parseJson<T>(text: string | null, fallback: T): T {
	if (text === null) return fallback;
	try {
		return JSON.parse(text) as T;
	} catch {
		return fallback;
	}
}

const EMPTY_MATCH: RuleMatch = {
	systems: [],
	talkgroups: [],
	units: [],
	groups: [],
	tags: [],
	emergency: false,
	keywords: []
};

export function toRule(row: Selectable<AlertRulesTable>): AlertRule {
	const match = { ...EMPTY_MATCH, ...parseJson<Partial<RuleMatch>>(row.match, {}) };
	return {
		id: row.id,
		userId: row.user_id,
		name: row.name,
		sound: (SOUNDS as readonly string[]).includes(row.sound) ? (row.sound as Sound) : 'beep',
		cooldownSeconds: row.cooldown_seconds,
		quietHours: parseJson<QuietHours | null>(row.quiet_hours, null),
		systems: match.systems,
		talkgroups: match.talkgroups,
		units: match.units,
		groups: match.groups,
		tags: match.tags,
		emergency: match.emergency,
		keywords: match.keywords,
		createdAt: row.created_at,
		updatedAt: row.updated_at
	};
}

/** Checks the service owns beyond the router's shapes, and de-duplicates the lists. */
function normalise(input: RuleInput): RuleInput & RuleMatch {
	const name = input.name.trim();
	if (!name) throw new ServiceError('BAD_REQUEST', 'name: must not be empty');
	if (input.quietHours && !isTimeZone(input.quietHours.timeZone))
		throw new ServiceError('BAD_REQUEST', 'quietHours.timeZone: not a known IANA time zone');
	const out: RuleInput & RuleMatch = {
		...input,
		name,
		systems: [...new Set(input.systems)],
		talkgroups: [...new Set(input.talkgroups)],
		units: [...new Set(input.units)],
		groups: [...new Set(input.groups.map((g) => g.trim()).filter(Boolean))],
		tags: [...new Set(input.tags.map((t) => t.trim()).filter(Boolean))],
		keywords: [...new Set((input.keywords ?? []).map(normaliseKeyword).filter(Boolean))]
	};
	if (isEmptyMatch(out))
		throw new ServiceError(
			'BAD_REQUEST',
			'match: name at least one system, talkgroup, unit, group, tag, keyword or emergency'
		);
	return out;
}

const matchJson = (r: RuleMatch) =>
	JSON.stringify({
		systems: r.systems,
		talkgroups: r.talkgroups,
		units: r.units,
		groups: r.groups,
		tags: r.tags,
		emergency: r.emergency,
		keywords: r.keywords
	});

export async function listRules(db: DB, userId: number): Promise<AlertRule[]> {
	const rows = await db
		.selectFrom('alert_rules')
		.selectAll()
		.where('user_id', '=', userId)
		.orderBy('id')
		.execute();
	return rows.map(toRule);
}

// Every rule on the server, indexed, kept per database for the ingest decision. A change made
// here drops it at once; `alert.rules.changed` drops it in every instance (alerts/lifecycle.ts).
const cache = new WeakMap<DB, Promise<RuleIndex>>();

export function ruleIndex(db: DB): Promise<RuleIndex> {
	let index = cache.get(db);
	if (!index) {
		index = db
			.selectFrom('alert_rules')
			.selectAll()
			.orderBy('id')
			.execute()
			.then((rows) => new RuleIndex(rows.map(toRule)));
		cache.set(db, index);
		index.catch(() => cache.delete(db));
	}
	return index;
}

export function dropRuleIndex(db: DB): void {
	cache.delete(db);
}

function rulesChanged(deps: RuleDeps) {
	cache.delete(deps.db);
	deps.bus.publish('alert.rules.changed', {});
}

export async function createRule(
	deps: RuleDeps,
	userId: number,
	input: RuleInput
): Promise<AlertRule> {
	const rule = normalise(input);
	const now = deps.clock.now();
	const created = await deps.db.transaction().execute(async (trx) => {
		// Count-then-insert: on PostgreSQL two creates at once would both pass the count.
		await serializeOn(trx, `alert_rules.user:${userId}`);
		const { count } = await trx
			.selectFrom('alert_rules')
			.select((eb) => eb.fn.countAll<number>().as('count'))
			.where('user_id', '=', userId)
			.executeTakeFirstOrThrow();
		if (Number(count) >= MAX_RULES_PER_USER)
			throw new ServiceError('BAD_REQUEST', `rules: at most ${MAX_RULES_PER_USER} per user`);
		const row = await trx
			.insertInto('alert_rules')
			.values({
				user_id: userId,
				name: rule.name,
				match: matchJson(rule),
				sound: rule.sound,
				cooldown_seconds: rule.cooldownSeconds,
				quiet_hours: rule.quietHours ? JSON.stringify(rule.quietHours) : null,
				created_at: now,
				updated_at: now
			})
			.returningAll()
			.executeTakeFirstOrThrow();
		return toRule(row);
	});
	rulesChanged(deps);
	return created;
}

export async function updateRule(
	deps: RuleDeps,
	userId: number,
	id: number,
	input: RuleInput
): Promise<AlertRule> {
	const rule = normalise(input);
	const row = await deps.db
		.updateTable('alert_rules')
		.set({
			name: rule.name,
			match: matchJson(rule),
			sound: rule.sound,
			cooldown_seconds: rule.cooldownSeconds,
			quiet_hours: rule.quietHours ? JSON.stringify(rule.quietHours) : null,
			updated_at: deps.clock.now()
		})
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.returningAll()
		.executeTakeFirst();
	if (!row) throw new ServiceError('NOT_FOUND', 'id: no such rule');
	rulesChanged(deps);
	return toRule(row);
}

export async function deleteRule(deps: RuleDeps, userId: number, id: number): Promise<void> {
	const res = await deps.db
		.deleteFrom('alert_rules')
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	if (Number(res.numDeletedRows) === 0) throw new ServiceError('NOT_FOUND', 'id: no such rule');
	rulesChanged(deps);
}

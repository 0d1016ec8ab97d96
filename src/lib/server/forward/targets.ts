import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { ServiceError } from '../core/errors';
import { pendingByLane } from '../core/outbox';

/** Downstream targets: other rdio-compatible servers that get a copy of each stored call. */

export const FORWARD_KIND = 'forward';
export const laneOf = (targetId: number) => `t${targetId}`;

export interface TargetInput {
	name: string;
	url: string;
	apiKey: string;
	/** Radio numbers; null or empty sends every system / talkgroup. */
	systems: number[] | null;
	talkgroups: number[] | null;
	/** Our radio number → the number the target files it under. */
	systemMap: Record<string, number>;
	talkgroupMap: Record<string, number>;
	enabled: boolean;
}

const list = (v: number[] | null) => (v && v.length ? JSON.stringify(v) : null);

function checkUrl(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ServiceError('BAD_REQUEST', 'url: is not a URL');
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
		throw new ServiceError('BAD_REQUEST', 'url: must be http or https');
	return parsed.href.replace(/\/+$/, '');
}

export async function createTarget(deps: { db: DB; clock: Clock }, input: TargetInput) {
	// Only calls stored from now on are sent: a new target does not receive the whole archive.
	const last = await deps.db
		.selectFrom('calls')
		.select((eb) => eb.fn.max('id').as('max'))
		.executeTakeFirst();
	const row = await deps.db
		.insertInto('forward_targets')
		.values({
			name: input.name,
			url: checkUrl(input.url),
			api_key: input.apiKey,
			systems: list(input.systems),
			talkgroups: list(input.talkgroups),
			system_map: JSON.stringify(input.systemMap),
			talkgroup_map: JSON.stringify(input.talkgroupMap),
			enabled: input.enabled ? 1 : 0,
			queued_through: Number(last?.max ?? 0),
			created_at: deps.clock.now(),
			last_success_at: null,
			last_error: null,
			last_error_at: null
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	return row.id;
}

export async function updateTarget(db: DB, id: number, input: Partial<TargetInput>) {
	const patch: Record<string, unknown> = {};
	if (input.name !== undefined) patch.name = input.name;
	if (input.url !== undefined) patch.url = checkUrl(input.url);
	if (input.apiKey !== undefined) patch.api_key = input.apiKey;
	if (input.systems !== undefined) patch.systems = list(input.systems);
	if (input.talkgroups !== undefined) patch.talkgroups = list(input.talkgroups);
	if (input.systemMap !== undefined) patch.system_map = JSON.stringify(input.systemMap);
	if (input.talkgroupMap !== undefined) patch.talkgroup_map = JSON.stringify(input.talkgroupMap);
	if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
	const result = await db
		.updateTable('forward_targets')
		.set(patch)
		.where('id', '=', id)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) throw new ServiceError('NOT_FOUND', 'no such target');
}

export async function deleteTarget(db: DB, id: number) {
	await db.transaction().execute(async (trx) => {
		// The target row first: it waits for a queueing pass that holds it (forward/worker.ts), so
		// the lane deleted next includes whatever that pass queued.
		const result = await trx.deleteFrom('forward_targets').where('id', '=', id).executeTakeFirst();
		if (!Number(result.numDeletedRows)) throw new ServiceError('NOT_FOUND', 'no such target');
		await trx
			.deleteFrom('outbox')
			.where('kind', '=', FORWARD_KIND)
			.where('lane', '=', laneOf(id))
			.execute();
	});
}

const parse = <T>(text: string | null, fallback: T): T => {
	try {
		return text === null ? fallback : (JSON.parse(text) as T);
	} catch {
		return fallback;
	}
};

/** Each target with its state: queue length, last success, last error. The API key is never sent back. */
export async function listTargets(db: DB) {
	const rows = await db.selectFrom('forward_targets').selectAll().orderBy('id').execute();
	const pending = await pendingByLane(db, FORWARD_KIND);
	return rows.map((r) => ({
		id: r.id,
		name: r.name,
		url: r.url,
		apiKeyPrefix: r.api_key.slice(0, 6),
		systems: parse<number[] | null>(r.systems, null),
		talkgroups: parse<number[] | null>(r.talkgroups, null),
		systemMap: parse<Record<string, number>>(r.system_map, {}),
		talkgroupMap: parse<Record<string, number>>(r.talkgroup_map, {}),
		enabled: r.enabled === 1,
		queued: pending.get(laneOf(r.id)) ?? 0,
		lastSuccessAt: r.last_success_at,
		lastError: r.last_error,
		lastErrorAt: r.last_error_at
	}));
}

export type ForwardTarget = Awaited<ReturnType<typeof listTargets>>[number];

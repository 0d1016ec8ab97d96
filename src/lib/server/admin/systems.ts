import { ServiceError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { serializeOn } from '../core/db/dialect';
import { ingestLock } from '../calls/ingest';
import {
	CsvError,
	formatTalkgroupCsv,
	parseTalkgroupCsv,
	type TalkgroupCsvRow
} from './talkgroup-csv';

/**
 * Radio systems, talkgroups and units as admins edit them. Ids in this API are database ids;
 * `systemRef` / `talkgroupRef` / `unitRef` are the radio's own numbers. Every change announces
 * `access.changed` with userId null, so open scanners refresh their lists and filters.
 * Deleting a system or talkgroup that still has calls is refused (CONFLICT): the calls and their
 * audio files leave through retention, never as a side effect of an edit.
 */
export interface SystemsDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

export interface TalkgroupDetail {
	id: number;
	talkgroupRef: number;
	label: string;
	name: string;
	group: string;
	tag: string;
	mode: string;
	priority: number | null;
	sortOrder: number;
	callCount: number;
}

export interface UnitDetail {
	id: number;
	unitRef: number;
	alias: string;
}

export interface SystemDetail {
	id: number;
	systemRef: number;
	label: string;
	autoPopulate: boolean;
	sortOrder: number;
	createdAt: Date;
	callCount: number;
	talkgroups: TalkgroupDetail[];
	units: UnitDetail[];
}

const changed = (deps: SystemsDeps) => deps.bus.publish('access.changed', { userId: null });

async function callCounts(
	db: DB,
	column: 'system_id' | 'talkgroup_id'
): Promise<Map<number, number>> {
	const rows = await db
		.selectFrom('calls')
		.select([column, (eb) => eb.fn.countAll<number>().as('n')])
		.groupBy(column)
		.execute();
	return new Map(rows.map((r) => [(r as Record<string, number>)[column], Number(r.n)]));
}

export async function listSystems(db: DB): Promise<SystemDetail[]> {
	const systems = await db
		.selectFrom('systems')
		.selectAll()
		.orderBy('sort_order')
		.orderBy('system_ref')
		.execute();
	const talkgroups = await db
		.selectFrom('talkgroups')
		.selectAll()
		.orderBy('system_id')
		.orderBy('sort_order')
		.orderBy('talkgroup_ref')
		.execute();
	const units = await db
		.selectFrom('units')
		.selectAll()
		.orderBy('system_id')
		.orderBy('unit_ref')
		.execute();
	const bySystem = await callCounts(db, 'system_id');
	const byTalkgroup = await callCounts(db, 'talkgroup_id');
	return systems.map((s) => ({
		id: s.id,
		systemRef: s.system_ref,
		label: s.label,
		autoPopulate: s.auto_populate === 1,
		sortOrder: s.sort_order,
		createdAt: new Date(s.created_at),
		callCount: bySystem.get(s.id) ?? 0,
		talkgroups: talkgroups
			.filter((t) => t.system_id === s.id)
			.map((t) => ({
				id: t.id,
				talkgroupRef: t.talkgroup_ref,
				label: t.label,
				name: t.name,
				group: t.group_name,
				tag: t.tag,
				mode: t.mode,
				priority: t.priority,
				sortOrder: t.sort_order,
				callCount: byTalkgroup.get(t.id) ?? 0
			})),
		units: units
			.filter((u) => u.system_id === s.id)
			.map((u) => ({ id: u.id, unitRef: u.unit_ref, alias: u.alias }))
	}));
}

/** For importing talkgroups before the first call of a system arrives. */
export async function createSystem(
	deps: SystemsDeps,
	input: { systemRef: number; label: string; autoPopulate?: boolean; sortOrder?: number }
): Promise<number> {
	const clash = await deps.db
		.selectFrom('systems')
		.select('id')
		.where('system_ref', '=', input.systemRef)
		.executeTakeFirst();
	if (clash)
		throw new ServiceError('CONFLICT', `systemRef: system ${input.systemRef} already exists`);
	const { id } = await deps.db
		.insertInto('systems')
		.values({
			system_ref: input.systemRef,
			label: input.label,
			auto_populate: input.autoPopulate === false ? 0 : 1,
			sort_order: input.sortOrder ?? 0,
			created_at: deps.clock.now()
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	changed(deps);
	return id;
}

export async function updateSystem(
	deps: SystemsDeps,
	id: number,
	patch: { label?: string; sortOrder?: number; autoPopulate?: boolean }
): Promise<void> {
	const set: { label?: string; sort_order?: number; auto_populate?: number } = {};
	if (patch.label !== undefined) set.label = patch.label;
	if (patch.sortOrder !== undefined) set.sort_order = patch.sortOrder;
	if (patch.autoPopulate !== undefined) set.auto_populate = patch.autoPopulate ? 1 : 0;
	await requireRow(deps.db, 'systems', id, 'id: no system with id');
	if (Object.keys(set).length)
		await deps.db.updateTable('systems').set(set).where('id', '=', id).execute();
	changed(deps);
}

export async function deleteSystem(deps: SystemsDeps, id: number): Promise<void> {
	await deps.db.transaction().execute(async (trx) => {
		const system = await trx
			.selectFrom('systems')
			.select(['label', 'system_ref'])
			.where('id', '=', id)
			.executeTakeFirst();
		if (!system) throw new ServiceError('NOT_FOUND', `id: no system with id ${id}`);
		await waitForUploads(trx, system.system_ref);
		const calls = await trx
			.selectFrom('calls')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('system_id', '=', id)
			.executeTakeFirstOrThrow();
		if (Number(calls.n) > 0) {
			throw new ServiceError(
				'CONFLICT',
				`id: system "${system.label}" still has ${calls.n} calls; they must expire (retention) before it can be deleted`
			);
		}
		// Talkgroups, units and access grants go with it (foreign keys cascade).
		await trx.deleteFrom('systems').where('id', '=', id).execute();
	});
	changed(deps);
}

export async function updateTalkgroup(
	deps: SystemsDeps,
	id: number,
	patch: {
		label?: string;
		name?: string;
		group?: string;
		tag?: string;
		mode?: string;
		priority?: number | null;
		sortOrder?: number;
	}
): Promise<void> {
	const set: Partial<{
		label: string;
		name: string;
		group_name: string;
		tag: string;
		mode: string;
		priority: number | null;
		sort_order: number;
	}> = {};
	if (patch.label !== undefined) set.label = patch.label;
	if (patch.name !== undefined) set.name = patch.name;
	if (patch.group !== undefined) set.group_name = patch.group;
	if (patch.tag !== undefined) set.tag = patch.tag;
	if (patch.mode !== undefined) set.mode = patch.mode;
	if (patch.priority !== undefined) set.priority = patch.priority;
	if (patch.sortOrder !== undefined) set.sort_order = patch.sortOrder;
	await requireRow(deps.db, 'talkgroups', id, 'id: no talkgroup with id');
	if (Object.keys(set).length)
		await deps.db.updateTable('talkgroups').set(set).where('id', '=', id).execute();
	changed(deps);
}

export async function deleteTalkgroup(deps: SystemsDeps, id: number): Promise<void> {
	await deps.db.transaction().execute(async (trx) => {
		const tg = await trx
			.selectFrom('talkgroups')
			.innerJoin('systems', 'systems.id', 'talkgroups.system_id')
			.select(['talkgroups.talkgroup_ref', 'systems.system_ref'])
			.where('talkgroups.id', '=', id)
			.executeTakeFirst();
		if (!tg) throw new ServiceError('NOT_FOUND', `id: no talkgroup with id ${id}`);
		await waitForUploads(trx, tg.system_ref);
		const calls = await trx
			.selectFrom('calls')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('talkgroup_id', '=', id)
			.executeTakeFirstOrThrow();
		if (Number(calls.n) > 0) {
			throw new ServiceError(
				'CONFLICT',
				`id: talkgroup ${tg.talkgroup_ref} still has ${calls.n} calls; they must expire (retention) before it can be deleted`
			);
		}
		await trx.deleteFrom('talkgroups').where('id', '=', id).execute();
	});
	changed(deps);
}

export async function updateUnit(deps: SystemsDeps, id: number, alias: string): Promise<void> {
	await requireRow(deps.db, 'units', id, 'id: no unit with id');
	await deps.db.updateTable('units').set({ alias }).where('id', '=', id).execute();
	changed(deps);
}

/**
 * Lets every upload of the system that is under way commit first, and keeps new ones out until
 * this transaction ends (calls/ingest.ts ingestLock): otherwise, on PostgreSQL, an upload that
 * resolved the system or talkgroup just before the delete would insert its call after it (a
 * foreign-key failure, a 500 to the recorder) or commit it under the delete's count of calls (the
 * cascade takes the row and leaves its audio file behind).
 */
async function waitForUploads(trx: DB, systemRef: number): Promise<void> {
	await serializeOn(trx, ingestLock(systemRef));
}

async function requireRow(
	db: DB,
	table: 'systems' | 'talkgroups' | 'units',
	id: number,
	message: string
): Promise<void> {
	const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
	if (!row) throw new ServiceError('NOT_FOUND', `${message} ${id}`);
}

export interface ImportResult {
	created: number;
	updated: number;
	unchanged: number;
	/** Header columns that were not read (e.g. Preferred NAC, Comment). */
	ignoredColumns: string[];
}

/**
 * Merges a Trunk-Recorder talkgroup CSV into one system: rows are matched by Decimal, new ones
 * are created, existing ones take the file's values for the columns it has; talkgroups not in
 * the file stay. The file's row order becomes the talkgroups' sort order. All or nothing: any bad
 * row fails the import with BAD_REQUEST `csv: line N: …` and writes nothing.
 */
export async function importTalkgroups(
	deps: SystemsDeps,
	systemId: number,
	csv: string
): Promise<ImportResult> {
	let parsed;
	try {
		parsed = parseTalkgroupCsv(csv);
	} catch (err) {
		if (err instanceof CsvError) throw new ServiceError('BAD_REQUEST', `csv: ${err.message}`);
		throw err;
	}
	const now = deps.clock.now();
	const result = await deps.db.transaction().execute(async (trx) => {
		const system = await trx
			.selectFrom('systems')
			.select('id')
			.where('id', '=', systemId)
			.executeTakeFirst();
		if (!system) throw new ServiceError('NOT_FOUND', `systemId: no system with id ${systemId}`);
		const existing = new Map(
			(
				await trx.selectFrom('talkgroups').selectAll().where('system_id', '=', systemId).execute()
			).map((t) => [t.talkgroup_ref, t])
		);
		let created = 0;
		let updated = 0;
		let unchanged = 0;
		for (const [index, row] of parsed.rows.entries()) {
			const values = {
				...(parsed.fields.has('alphaTag') && { label: row.alphaTag }),
				...(parsed.fields.has('description') && { name: row.description }),
				...(parsed.fields.has('category') && { group_name: row.category }),
				...(parsed.fields.has('tag') && { tag: row.tag }),
				...(parsed.fields.has('mode') && { mode: row.mode }),
				...(parsed.fields.has('priority') && { priority: row.priority }),
				sort_order: index
			};
			const current = existing.get(row.decimal);
			if (!current) {
				await trx
					.insertInto('talkgroups')
					.values({
						label: '',
						name: '',
						group_name: '',
						tag: '',
						...values,
						system_id: systemId,
						talkgroup_ref: row.decimal,
						created_at: now
					})
					.execute();
				created++;
			} else if (
				Object.entries(values).some(([k, v]) => current[k as keyof typeof current] !== v)
			) {
				await trx.updateTable('talkgroups').set(values).where('id', '=', current.id).execute();
				updated++;
			} else unchanged++;
		}
		return { created, updated, unchanged, ignoredColumns: parsed.ignoredColumns };
	});
	changed(deps);
	return result;
}

/** The system's talkgroups as a Trunk-Recorder CSV, in their sort order. */
export async function exportTalkgroups(
	db: DB,
	systemId: number
): Promise<{ filename: string; csv: string }> {
	const system = await db
		.selectFrom('systems')
		.select(['system_ref'])
		.where('id', '=', systemId)
		.executeTakeFirst();
	if (!system) throw new ServiceError('NOT_FOUND', `systemId: no system with id ${systemId}`);
	const talkgroups = await db
		.selectFrom('talkgroups')
		.selectAll()
		.where('system_id', '=', systemId)
		.orderBy('sort_order')
		.orderBy('talkgroup_ref')
		.execute();
	const rows: TalkgroupCsvRow[] = talkgroups.map((t) => ({
		decimal: t.talkgroup_ref,
		alphaTag: t.label,
		mode: t.mode,
		description: t.name,
		tag: t.tag,
		category: t.group_name,
		priority: t.priority
	}));
	return { filename: `talkgroups-${system.system_ref}.csv`, csv: formatTalkgroupCsv(rows) };
}

import type { DB } from '../core/db';
import type { CallFacts } from './match';

/** Reads stored calls' radio facts: what rules are matched against. */

function selectFacts(db: DB) {
	return db
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
			'calls.emergency',
			'systems.system_ref',
			'systems.label as system_label',
			'talkgroups.talkgroup_ref',
			'talkgroups.label as tg_label',
			'talkgroups.group_name',
			'talkgroups.tag',
			'units.alias'
		]);
}

type FactsRow = Awaited<ReturnType<ReturnType<typeof selectFacts>['execute']>>[number];

function toFacts(row: FactsRow): CallFacts {
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
		emergency: row.emergency === 1,
		dateTime: row.date_time
	};
}

/** The radio facts of a stored call, or null when it is gone. */
export async function callFactsOf(db: DB, callId: number): Promise<CallFacts | null> {
	const row = await selectFacts(db).where('calls.id', '=', callId).executeTakeFirst();
	return row ? toFacts(row) : null;
}

/** Up to `limit` stored calls after `afterId`, in id order: one read per batch. */
export async function callFactsAfter(db: DB, afterId: number, limit: number): Promise<CallFacts[]> {
	const rows = await selectFacts(db)
		.where('calls.id', '>', afterId)
		.orderBy('calls.id')
		.limit(limit)
		.execute();
	return rows.map(toFacts);
}

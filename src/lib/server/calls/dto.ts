import type { Expression, SqlBool, ExpressionBuilder } from 'kysely';
import type { DB } from '../core/db';
import type { Database } from '../core/db/types';
import type { AccessScope } from './access';
import { audibleFilter } from './publish';

/** A call as every API and the browser see it (docs/api.md). */
export interface Call {
	id: number;
	dateTime: Date;
	/** The radio's own system number and its label. */
	system: { id: number; label: string };
	/** The radio's own talkgroup number and its labels. */
	talkgroup: { id: number; label: string; name: string; group: string; tag: string };
	/** Hz, or null when the recorder sent none. */
	frequency: number | null;
	/** Seconds. */
	duration: number;
	audioUrl: string;
	audioType: string;
	/** The first unit heard, with its alias when known. */
	source: { id: number; alias: string } | null;
	frequencies: unknown[];
	sources: Array<{ pos: number; src: number; tag?: string }>;
	patches: number[];
	/** The recorder flagged it as an emergency. */
	emergency: boolean;
	/** Its transcript (transcripts/), or null: none yet, or transcripts are off. */
	transcript: Transcript | null;
}

/** Who said what: lines aligned to the units' positions in the call (docs/transcripts.md). */
export interface Transcript {
	text: string;
	segments: Array<{
		/** Seconds from the start of the call. */
		start: number;
		end: number;
		text: string;
		/** The unit's radio id, or null (no positions: one block). */
		unit: number | null;
		/** Its alias when known. */
		alias: string | null;
	}>;
}

/** Selects everything toCall needs; add where/order/limit to it. */
export function selectCalls(db: DB) {
	return db
		.selectFrom('calls')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
		.leftJoin('units', (join) =>
			join
				.onRef('units.system_id', '=', 'calls.system_id')
				.onRef('units.unit_ref', '=', 'calls.source')
		)
		.leftJoin('transcripts', 'transcripts.call_id', 'calls.id')
		.select([
			'calls.id',
			'calls.date_time',
			'calls.frequency',
			'calls.duration',
			'calls.audio_type',
			'calls.source',
			'calls.frequencies',
			'calls.sources',
			'calls.patches',
			'calls.emergency',
			'calls.system_id',
			'calls.talkgroup_id',
			'systems.system_ref',
			'systems.label as system_label',
			'talkgroups.talkgroup_ref',
			'talkgroups.label as tg_label',
			'talkgroups.name as tg_name',
			'talkgroups.group_name as tg_group',
			'talkgroups.tag as tg_tag',
			'units.alias as unit_alias',
			'transcripts.text as transcript_text',
			'transcripts.segments as transcript_segments'
		]);
}

export type CallSelection = Awaited<ReturnType<ReturnType<typeof selectCalls>['execute']>>[number];

const parseJsonArray = <T>(text: string): T[] => {
	try {
		const value = JSON.parse(text);
		return Array.isArray(value) ? value : [];
	} catch {
		return [];
	}
};

export function toCall(row: CallSelection): Call {
	return {
		id: row.id,
		dateTime: new Date(row.date_time),
		system: { id: row.system_ref, label: row.system_label },
		talkgroup: {
			id: row.talkgroup_ref,
			label: row.tg_label,
			name: row.tg_name,
			group: row.tg_group,
			tag: row.tg_tag
		},
		frequency: row.frequency,
		duration: row.duration,
		audioUrl: `/api/calls/${row.id}/audio`,
		audioType: row.audio_type,
		source: row.source === null ? null : { id: row.source, alias: row.unit_alias ?? '' },
		frequencies: parseJsonArray(row.frequencies),
		sources: parseJsonArray(row.sources),
		patches: parseJsonArray(row.patches),
		emergency: row.emergency === 1,
		transcript:
			row.transcript_text === null
				? null
				: {
						text: row.transcript_text,
						segments: parseJsonArray(row.transcript_segments ?? '[]')
					}
	};
}

/** A where-clause limiting `calls` to what a scope may hear; false (no rows) when it may hear nothing. */
export function scopeFilter(scope: AccessScope) {
	const audible = scope.audible && audibleFilter(scope.audible.audience, scope.audible.now);
	const granted = (eb: ExpressionBuilder<Database, 'calls'>): Expression<SqlBool> => {
		if (scope.all) return eb.lit(true);
		const parts: Expression<SqlBool>[] = [];
		if (scope.systemIds.size) parts.push(eb('calls.system_id', 'in', [...scope.systemIds]));
		if (scope.talkgroupIds.size)
			parts.push(eb('calls.talkgroup_id', 'in', [...scope.talkgroupIds]));
		return parts.length ? eb.or(parts) : eb.lit(false);
	};
	return (eb: ExpressionBuilder<Database, 'calls'>): Expression<SqlBool> =>
		audible ? eb.and([granted(eb), audible(eb)]) : granted(eb);
}

/** One call by database id, or undefined when missing or not in scope. */
export async function callById(db: DB, scope: AccessScope, id: number): Promise<Call | undefined> {
	const row = await selectCalls(db)
		.where('calls.id', '=', id)
		.where(scopeFilter(scope))
		.executeTakeFirst();
	return row && toCall(row);
}

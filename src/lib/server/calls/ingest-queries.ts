import { prepared, type Param } from '../core/db/prepared';
import type { Insertable } from 'kysely';
import type { CallsTable } from '../core/db/types';

/**
 * The statements every upload runs (ingest.ts), compiled once and reused (core/db/prepared.ts).
 * The rare ones — a system, talkgroup or unit seen for the first time, a label filled in — are
 * built as they are needed.
 */

export const systemByRef = prepared((db, p: Param<{ systemRef: number }>) =>
	db
		.selectFrom('systems')
		.select(['id', 'label', 'auto_populate', 'delay_minutes'])
		.where('system_ref', '=', p('systemRef'))
);

export const talkgroupByRef = prepared((db, p: Param<{ systemId: number; talkgroupRef: number }>) =>
	db
		.selectFrom('talkgroups')
		.select(['id', 'label', 'name', 'group_name', 'tag', 'delay_minutes'])
		.where('system_id', '=', p('systemId'))
		.where('talkgroup_ref', '=', p('talkgroupRef'))
);

/** A call of the same system and talkgroup within the duplicate window. */
export const duplicateOf = prepared(
	(db, p: Param<{ systemId: number; talkgroupId: number; from: number; to: number }>) =>
		db
			.selectFrom('calls')
			.select('id')
			.where('talkgroup_id', '=', p('talkgroupId'))
			.where('system_id', '=', p('systemId'))
			.where('date_time', '>=', p('from'))
			.where('date_time', '<=', p('to'))
			.limit(1)
);

export const unitByRef = prepared((db, p: Param<{ systemId: number; unitRef: number }>) =>
	db
		.selectFrom('units')
		.select(['id', 'alias'])
		.where('system_id', '=', p('systemId'))
		.where('unit_ref', '=', p('unitRef'))
);

const CALL_COLUMNS = [
	'system_id',
	'talkgroup_id',
	'date_time',
	'frequency',
	'duration',
	'audio_path',
	'audio_type',
	'audio_size',
	'audio_name',
	'source',
	'frequencies',
	'sources',
	'patches',
	'emergency',
	'api_key_id',
	'created_at',
	'due_at',
	'ready_at',
	'public_at'
] as const;

/** Every column an upload sets. */
export type NewCall = Required<Pick<Insertable<CallsTable>, (typeof CALL_COLUMNS)[number]>>;

export const insertCall = prepared((db, p: Param<NewCall>) =>
	db
		.insertInto('calls')
		.values(Object.fromEntries(CALL_COLUMNS.map((c) => [c, p(c)])) as NewCall)
		.returning('id')
);

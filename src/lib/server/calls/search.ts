import { ServiceError } from '../core/errors';
import { sql } from 'kysely';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { isPostgres } from '../core/db/dialect';
import type { AccessScope } from './access';
import { callById, scopeFilter, selectCalls, toCall, type Call } from './dto';
import { highlightParts, transcriptMatches, type HighlightPart } from './transcript-search';

/** Archive search, bookmarks and the list of what a viewer may hear. */

export interface SearchFilters {
	limit: number;
	cursor?: string | null;
	/** Radio system numbers. */
	systems?: number[];
	/** Radio talkgroup numbers (within `systems` when both are given). */
	talkgroups?: number[];
	groups?: string[];
	tags?: string[];
	/** A radio unit id heard on the call. */
	unit?: number;
	from?: Date;
	to?: Date;
	/** Only calls the recorder flagged as an emergency (true) or not (false). */
	emergency?: boolean;
	/** Only calls the viewer bookmarked. */
	bookmarked?: boolean;
	/** Full text over transcripts: words and "phrases", all required; ranked best first. */
	q?: string;
}

/** `highlight`: with `q`, the matching passage with the matched words marked. */
export type ListedCall = Call & { bookmarked: boolean; highlight?: HighlightPart[] };

/** A ranked search pages by position (rank is not a stable key); deep pages are refused. */
const MAX_RANKED_OFFSET = 10_000;

export function encodeRankCursor(offset: number): string {
	return Buffer.from(`r:${offset}`, 'utf8').toString('base64url');
}

export function decodeRankCursor(cursor: string): number {
	const match = /^r:(\d{1,5})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
	if (!match || Number(match[1]) > MAX_RANKED_OFFSET)
		throw new ServiceError('BAD_REQUEST', 'cursor: invalid');
	return Number(match[1]);
}

/** The cursor is the (date_time, id) of the last item: keyset paging, stable while calls arrive. */
export function encodeCursor(dateTime: number, id: number): string {
	return Buffer.from(`${dateTime}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { dateTime: number; id: number } {
	const match = /^(\d{1,16}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
	if (!match) throw new ServiceError('BAD_REQUEST', 'cursor: invalid');
	return { dateTime: Number(match[1]), id: Number(match[2]) };
}

/** calls.sources (a JSON array of { src, … }) names the unit: SQLite's json_each, PostgreSQL's jsonb. */
function sourcesInclude(db: DB, unit: number) {
	return isPostgres(db)
		? sql`(select 1 from jsonb_array_elements(calls.sources::jsonb) as s where s ->> 'src' = ${String(unit)})`
		: sql`(select 1 from json_each(calls.sources) where json_extract(json_each.value, '$.src') = ${unit})`;
}

export async function searchCalls(
	db: DB,
	scope: AccessScope,
	userId: number | null,
	f: SearchFilters
): Promise<{ items: ListedCall[]; nextCursor: string | null }> {
	if (f.bookmarked && userId === null) return { items: [], nextCursor: null };
	const q = f.q?.trim() ? f.q : undefined;
	let query = selectCalls(db)
		.$if(q !== undefined, (qb) =>
			qb
				.innerJoin(transcriptMatches(db, q ?? ''), 'm.call_id', 'calls.id')
				.select(['m.rank', 'm.snippet'])
		)
		.where(scopeFilter(scope));
	if (f.systems?.length) query = query.where('systems.system_ref', 'in', f.systems);
	if (f.talkgroups?.length) query = query.where('talkgroups.talkgroup_ref', 'in', f.talkgroups);
	if (f.groups?.length) query = query.where('talkgroups.group_name', 'in', f.groups);
	if (f.tags?.length) query = query.where('talkgroups.tag', 'in', f.tags);
	if (f.unit !== undefined) {
		const unit = f.unit;
		query = query.where((eb) =>
			eb.or([eb('calls.source', '=', unit), eb.exists(sourcesInclude(db, unit))])
		);
	}
	if (f.emergency !== undefined) query = query.where('calls.emergency', '=', f.emergency ? 1 : 0);
	if (f.from) query = query.where('calls.date_time', '>=', f.from.getTime());
	if (f.to) query = query.where('calls.date_time', '<=', f.to.getTime());
	if (f.bookmarked && userId !== null) {
		query = query.where((eb) =>
			eb.exists(
				eb
					.selectFrom('bookmarks')
					.select('bookmarks.call_id')
					.whereRef('bookmarks.call_id', '=', 'calls.id')
					.where('bookmarks.user_id', '=', userId)
			)
		);
	}
	const offset = q !== undefined && f.cursor ? decodeRankCursor(f.cursor) : 0;
	if (q !== undefined) query = query.orderBy(sql`m.rank`, 'desc').offset(offset);
	else if (f.cursor) {
		const c = decodeCursor(f.cursor);
		query = query.where((eb) =>
			eb.or([
				eb('calls.date_time', '<', c.dateTime),
				eb.and([eb('calls.date_time', '=', c.dateTime), eb('calls.id', '<', c.id)])
			])
		);
	}
	const rows = await query
		.orderBy('calls.date_time', 'desc')
		.orderBy('calls.id', 'desc')
		.limit(f.limit + 1)
		.execute();
	const page = rows.slice(0, f.limit);
	const marked = await bookmarkedAmong(
		db,
		userId,
		page.map((r) => r.id)
	);
	const last = page[page.length - 1];
	const more = rows.length > f.limit && last !== undefined;
	return {
		items: page.map((row) => ({
			...toCall(row),
			bookmarked: marked.has(row.id),
			...(q !== undefined ? { highlight: highlightParts(row.snippet ?? '') } : {})
		})),
		nextCursor: !more
			? null
			: q !== undefined
				? offset + f.limit <= MAX_RANKED_OFFSET
					? encodeRankCursor(offset + f.limit)
					: null
				: encodeCursor(last.date_time, last.id)
	};
}

async function bookmarkedAmong(
	db: DB,
	userId: number | null,
	callIds: number[]
): Promise<Set<number>> {
	if (userId === null || !callIds.length) return new Set();
	const rows = await db
		.selectFrom('bookmarks')
		.select('call_id')
		.where('user_id', '=', userId)
		.where('call_id', 'in', callIds)
		.execute();
	return new Set(rows.map((r) => r.call_id));
}

export async function getCall(
	db: DB,
	scope: AccessScope,
	userId: number | null,
	id: number
): Promise<ListedCall | null> {
	const call = await callById(db, scope, id);
	if (!call) return null;
	return { ...call, bookmarked: (await bookmarkedAmong(db, userId, [id])).has(id) };
}

/**
 * Sets (`on` given) or toggles the viewer's bookmark on a call they may hear.
 * Null when the call is missing or out of scope.
 */
export async function setBookmark(
	deps: { db: DB; clock: Clock },
	scope: AccessScope,
	userId: number,
	callId: number,
	on?: boolean
): Promise<{ bookmarked: boolean } | null> {
	if (!(await callById(deps.db, scope, callId))) return null;
	return deps.db.transaction().execute(async (trx) => {
		const existing = await trx
			.selectFrom('bookmarks')
			.select('call_id')
			.where('user_id', '=', userId)
			.where('call_id', '=', callId)
			.executeTakeFirst();
		const want = on ?? !existing;
		if (want && !existing) {
			await trx
				.insertInto('bookmarks')
				.values({ user_id: userId, call_id: callId, created_at: deps.clock.now() })
				// A concurrent request (another connection, PostgreSQL) may have added it first.
				.onConflict((oc) => oc.columns(['user_id', 'call_id']).doNothing())
				.execute();
		} else if (!want && existing) {
			await trx
				.deleteFrom('bookmarks')
				.where('user_id', '=', userId)
				.where('call_id', '=', callId)
				.execute();
		}
		return { bookmarked: want };
	});
}

export interface VisibleSystem {
	/** The radio's own system number. */
	id: number;
	label: string;
	talkgroups: Array<{ id: number; label: string; name: string; group: string; tag: string }>;
}

/** Systems and talkgroups the scope may hear, in the admin's sort order, for the scanner's pickers. */
export async function visibleSystems(db: DB, scope: AccessScope): Promise<VisibleSystem[]> {
	let query = db
		.selectFrom('talkgroups')
		.innerJoin('systems', 'systems.id', 'talkgroups.system_id')
		.select([
			'systems.id as sid',
			'systems.system_ref',
			'systems.label as system_label',
			'talkgroups.talkgroup_ref',
			'talkgroups.label',
			'talkgroups.name',
			'talkgroups.group_name',
			'talkgroups.tag'
		]);
	if (!scope.all) {
		const systemIds = [...scope.systemIds];
		const talkgroupIds = [...scope.talkgroupIds];
		if (!systemIds.length && !talkgroupIds.length) return [];
		query = query.where((eb) =>
			eb.or([
				...(systemIds.length ? [eb('talkgroups.system_id', 'in', systemIds)] : []),
				...(talkgroupIds.length ? [eb('talkgroups.id', 'in', talkgroupIds)] : [])
			])
		);
	}
	const rows = await query
		.orderBy('systems.sort_order')
		.orderBy('systems.system_ref')
		.orderBy('talkgroups.sort_order')
		.orderBy('talkgroups.talkgroup_ref')
		.execute();
	const out: VisibleSystem[] = [];
	const bySystem = new Map<number, VisibleSystem>();
	for (const r of rows) {
		let system = bySystem.get(r.sid);
		if (!system) {
			system = { id: r.system_ref, label: r.system_label, talkgroups: [] };
			bySystem.set(r.sid, system);
			out.push(system);
		}
		system.talkgroups.push({
			id: r.talkgroup_ref,
			label: r.label,
			name: r.name,
			group: r.group_name,
			tag: r.tag
		});
	}
	return out;
}

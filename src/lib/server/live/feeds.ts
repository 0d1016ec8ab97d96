import { sql } from 'kysely';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { selectCalls, toCall, type CallSelection } from '../calls/dto';
import type { Audience, PublicationKind } from '../core/db/types';
import { eventsAfter, type AdminEvent } from '../core/event-log';
import { OrderedFeed } from './ordered-feed';
import { prepared, type Param } from '../core/db/prepared';
import { LiveCall } from './live-call';

export interface LiveFeeds {
	calls: OrderedFeed<LiveCall>;
	events: OrderedFeed<AdminEvent>;
}

async function maxId(db: DB, table: 'events'): Promise<number> {
	const row = await db
		.selectFrom(table)
		.select(sql<number | null>`max(id)`.as('max'))
		.executeTakeFirst();
	return row?.max ?? 0;
}

/** A publication of a call (row of selectCalls) as the live stream carries it. */
export function toLiveCall(
	row: CallSelection,
	publication: { seq: number; audience: Audience; kind?: PublicationKind }
): LiveCall {
	return new LiveCall(
		toCall(row),
		row.system_id,
		row.talkgroup_id,
		publication.seq,
		publication.audience,
		publication.kind ?? 'call'
	);
}

/** Publications in (afterSeq, upToSeq], oldest first, with their calls. */
export async function publicationsAfter(
	db: DB,
	afterSeq: number,
	limit: number,
	where: {
		upToSeq?: number;
		since?: number;
		audiences?: readonly Audience[];
		newest?: boolean;
	} = {}
): Promise<LiveCall[]> {
	let query = db
		.selectFrom('call_publications')
		.select(['seq', 'call_id', 'audience', 'kind'])
		.where('seq', '>', afterSeq);
	if (where.upToSeq !== undefined) query = query.where('seq', '<=', where.upToSeq);
	if (where.since !== undefined) query = query.where('published_at', '>=', where.since);
	if (where.audiences) query = query.where('audience', 'in', where.audiences);
	const pubs = await query
		.orderBy('seq', where.newest ? 'desc' : 'asc')
		.limit(limit)
		.execute();
	if (where.newest) pubs.reverse();
	if (!pubs.length) return [];
	const rows = await selectCalls(db)
		.where(
			'calls.id',
			'in',
			pubs.map((p) => p.call_id)
		)
		.execute();
	const byId = new Map(rows.map((r) => [r.id, r]));
	const out: LiveCall[] = [];
	for (const p of pubs) {
		const row = byId.get(p.call_id);
		// Each LiveCall goes, as this one object, to every subscriber: encoded once.
		if (row) out.push(toLiveCall(row, p));
	}
	return out;
}

/**
 * What the live feed reads on every wake: the publications after a seq with their calls, in one
 * query compiled once (publicationsAfter builds two per read; this path runs for every few calls).
 */
const livePublications = prepared((db, p: Param<{ afterSeq: number; limit: number }>) =>
	selectCalls(db)
		.innerJoin('call_publications as pub', 'pub.call_id', 'calls.id')
		.select(['pub.seq', 'pub.audience', 'pub.kind'])
		.where('pub.seq', '>', p('afterSeq'))
		.orderBy('pub.seq')
		.limit(p('limit'))
);

/** The feed reads publications (not calls) by seq: see calls/publish.ts for why. */
function callFeed(db: DB, bus: Bus): OrderedFeed<LiveCall> {
	return new OrderedFeed<LiveCall>(
		{
			async maxId() {
				const row = await db
					.selectFrom('call_publications')
					.select(sql<number | null>`max(seq)`.as('max'))
					.executeTakeFirst();
				return row?.max ?? 0;
			},
			after: async (afterSeq, limit) =>
				(await livePublications.execute(db, { afterSeq, limit })).map((row) =>
					toLiveCall(row, row)
				),
			idOf: (row) => row.seq
		},
		(wake) => {
			const offPublished = bus.subscribe('call.published', wake);
			const offIngested = bus.subscribe('call.ingested', wake);
			return () => {
				offPublished();
				offIngested();
			};
		}
	);
}

function eventFeed(db: DB, bus: Bus): OrderedFeed<AdminEvent> {
	return new OrderedFeed<AdminEvent>(
		{
			maxId: () => maxId(db, 'events'),
			after: (id, limit) => eventsAfter(db, id, limit),
			idOf: (event) => event.id
		},
		(wake) => bus.subscribe('admin.event', wake)
	);
}

/** The process's two feeds, built once by the composition root (app.ts) over its db and bus. */
export function createLiveFeeds(deps: { db: DB; bus: Bus }): LiveFeeds {
	return { calls: callFeed(deps.db, deps.bus), events: eventFeed(deps.db, deps.bus) };
}

import { sql } from 'kysely';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { selectCalls, toCall, type CallSelection } from '../calls/dto';
import { eventsAfter, type AdminEvent } from '../core/event-log';
import { OrderedFeed } from './ordered-feed';
import { LiveCall } from './live-call';

export interface LiveFeeds {
	calls: OrderedFeed<LiveCall>;
	events: OrderedFeed<AdminEvent>;
}

async function maxId(db: DB, table: 'calls' | 'events'): Promise<number> {
	const row = await db
		.selectFrom(table)
		.select(sql<number | null>`max(id)`.as('max'))
		.executeTakeFirst();
	return row?.max ?? 0;
}

/** A row of selectCalls as the live stream carries it. */
export function toLiveCall(row: CallSelection): LiveCall {
	return new LiveCall(toCall(row), row.system_id, row.talkgroup_id);
}

function callFeed(db: DB, bus: Bus): OrderedFeed<LiveCall> {
	return new OrderedFeed<LiveCall>(
		{
			maxId: () => maxId(db, 'calls'),
			async after(id, limit) {
				const rows = await selectCalls(db)
					.where('calls.id', '>', id)
					.orderBy('calls.id', 'asc')
					.limit(limit)
					.execute();
				// Each LiveCall goes, as this one object, to every subscriber: encoded once.
				return rows.map(toLiveCall);
			},
			idOf: (row) => row.id
		},
		(wake) => bus.subscribe('call.ingested', wake)
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

import type { Clock } from './clock';
import type { DB } from './db';
import type { Bus } from './bus';
import { appendInOrder } from './db/feed-lock';
import { prepared, type Param } from './db/prepared';

/** Event types of the admin log (docs/api.md, Admin events). */
export type AdminEventType =
	| 'session.created'
	| 'session.revoked'
	| 'user.created'
	| 'user.updated'
	| 'call.ingested'
	| 'upload.rejected'
	| 'listeners.changed'
	/** The audio pipeline could not encode a call; it is served as received (`reason`). */
	| 'audio.failed'
	| 'share.created'
	| 'share.viewed'
	| 'share.revoked'
	| 'forward.failed'
	| 'forward.recovered'
	| 'forward.gaveup'
	| 'folder.ingested'
	| 'folder.rejected'
	| 'alert.push_failed'
	/** A call's transcription was given up after its attempts (`callId`, `attempts`, `reason`). */
	| 'transcript.failed'
	/** The transcript backlog was over its limit: `count` oldest calls were dropped. */
	| 'transcript.dropped';

export interface AdminEvent {
	id: number;
	type: AdminEventType;
	/** Epoch ms. */
	at: number;
	userId: number | null;
	[key: string]: unknown;
}

export interface EventLogDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

/** Every stored call logs one: compiled once (db/prepared.ts). */
export const insertEvent = prepared(
	(db, p: Param<{ at: number; type: AdminEventType; userId: number | null; data: string }>) =>
		db
			.insertInto('events')
			.values({ at: p('at'), type: p('type'), user_id: p('userId'), data: p('data') })
			.returning('id')
);

/** Appends to the persisted log and announces it; never throws into the caller's flow. */
export async function recordEvent(
	deps: EventLogDeps,
	type: AdminEventType,
	data: { userId?: number | null } & Record<string, unknown> = {}
): Promise<number> {
	const values = eventRow(deps, type, data);
	const row = await appendInOrder(deps.db, 'events', (db) =>
		insertEvent.executeTakeFirst(db, values)
	);
	if (!row) throw new Error('the event row was not inserted');
	deps.bus.publish('admin.event', { id: row.id });
	return row.id;
}

/** The row's values, its time taken now. */
export function eventRow(
	deps: { clock: Clock },
	type: AdminEventType,
	data: { userId?: number | null } & Record<string, unknown>
) {
	const { userId = null, ...rest } = data;
	return { at: deps.clock.now(), type, userId, data: JSON.stringify(rest) };
}

export function toAdminEvent(row: {
	id: number;
	at: number;
	type: string;
	user_id: number | null;
	data: string;
}): AdminEvent {
	let data: Record<string, unknown> = {};
	try {
		data = JSON.parse(row.data);
	} catch {
		// A damaged row still shows its type and time.
	}
	return { ...data, id: row.id, type: row.type as AdminEventType, at: row.at, userId: row.user_id };
}

/** Events after `afterId`, oldest first; for replay on resume. */
export async function eventsAfter(db: DB, afterId: number, limit: number): Promise<AdminEvent[]> {
	const rows = await db
		.selectFrom('events')
		.selectAll()
		.where('id', '>', afterId)
		.orderBy('id', 'asc')
		.limit(limit)
		.execute();
	return rows.map(toAdminEvent);
}

/** The admin event log keeps this many days; every stored call adds a row, so it must not grow forever. */
export const EVENT_LOG_DAYS = 30;

export async function pruneEventLog(deps: { db: DB; clock: Clock }): Promise<number> {
	const before = deps.clock.now() - EVENT_LOG_DAYS * 86_400_000;
	const result = await deps.db.deleteFrom('events').where('at', '<', before).executeTakeFirst();
	return Number(result.numDeletedRows);
}

import type { DB } from './db';
import { lockFeed } from './db/feed-lock';
import { TurnBatches } from './turn-batch';
import { eventRow, insertEvent, type AdminEventType, type EventLogDeps } from './event-log';

interface Pending {
	values: ReturnType<typeof eventRow>;
	deps: EventLogDeps;
	resolve(id: number): void;
	reject(err: unknown): void;
}

/** Events waiting for the end of this turn of the event loop, per database. */
const waiting = new TurnBatches<DB, Pending>((db, batch) => void write(db, batch));

/**
 * recordEvent for a hot path that logs one event per request (every stored call logs
 * `call.ingested`): the events recorded in one turn of the event loop are written in one
 * transaction — one commit (and on PostgreSQL one feed lock and one fsync) for all of them
 * instead of one each (docs/performance.md, ingest). Each row keeps the time it was recorded;
 * ids follow the order of the calls; each is announced on its bus once the rows are committed.
 * Only for a `deps.db` that is the database itself, never a transaction: the write happens later.
 */
export function recordEventSoon(
	deps: EventLogDeps,
	type: AdminEventType,
	data: { userId?: number | null } & Record<string, unknown> = {}
): Promise<number> {
	return new Promise((resolve, reject) =>
		waiting.add(deps.db, { values: eventRow(deps, type, data), deps, resolve, reject })
	);
}

async function write(db: DB, batch: Pending[]): Promise<void> {
	let ids: number[];
	try {
		ids = await db.transaction().execute(async (trx) => {
			await lockFeed(trx, 'events');
			const out: number[] = [];
			for (const { values } of batch) {
				const row = await insertEvent.executeTakeFirst(trx, values);
				if (!row) throw new Error('the event row was not inserted');
				out.push(row.id);
			}
			return out;
		});
	} catch (err) {
		for (const pending of batch) pending.reject(err);
		return;
	}
	batch.forEach(({ deps, resolve }, i) => {
		deps.bus.publish('admin.event', { id: ids[i] });
		resolve(ids[i]);
	});
}

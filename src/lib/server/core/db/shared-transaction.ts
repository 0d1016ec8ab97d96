import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types';
import { isPostgres, serializeOn } from './dialect';
import { TurnBatches } from '../turn-batch';

type Db = Kysely<Database>;

interface Unit {
	lock: string;
	work(trx: Transaction<Database>): Promise<unknown>;
	resolve(value: unknown): void;
	reject(err: unknown): void;
}

/** Units waiting for the end of this turn of the event loop, per database. */
const waiting = new TurnBatches<Db, Unit>((db, batch) => void run(db, batch));

/**
 * Runs `work` in a transaction shared with the other units queued in the same turn of the event
 * loop (concurrent uploads): on SQLite one begin and one commit (one WAL write) for all of them
 * instead of one each (docs/performance.md, ingest). The promise settles once that transaction
 * has committed (or failed), so a caller that answers after it answers only for durable work.
 * Units run one after another, in the order they were queued, and each sees the writes of those
 * before it; SQLite runs write transactions one at a time, so `lock` needs nothing there. If the
 * shared transaction fails, nothing of it is kept and each unit runs again alone, so one bad unit
 * fails only itself: a unit may run twice, and must write only through `trx`.
 *
 * On PostgreSQL each unit is its own transaction holding `lock` (serializeOn), as before: there
 * round trips made under the per-system lock bound ingest, not commits, and a shared transaction
 * would keep the feed lock through other uploads' statements (measured: no gain).
 */
export function inSharedTransaction<T>(
	db: Db,
	lock: string,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const unit: Unit = { lock, work, resolve: resolve as (value: unknown) => void, reject };
		if (isPostgres(db)) return void alone(db, unit);
		waiting.add(db, unit);
	});
}

async function run(db: Db, batch: Unit[]): Promise<void> {
	if (batch.length > 1) {
		let results: unknown[] | null = null;
		try {
			results = await db.transaction().execute(async (trx) => {
				const out: unknown[] = [];
				for (const unit of batch) out.push(await unit.work(trx));
				return out;
			});
		} catch {
			// Rolled back as a whole: each unit alone below decides its own outcome.
		}
		if (results) {
			batch.forEach((unit, i) => unit.resolve(results[i]));
			return;
		}
	}
	for (const unit of batch) await alone(db, unit);
}

async function alone(db: Db, unit: Unit): Promise<void> {
	try {
		unit.resolve(
			await db.transaction().execute(async (trx) => {
				await serializeOn(trx, unit.lock);
				return unit.work(trx);
			})
		);
	} catch (err) {
		unit.reject(err);
	}
}

import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types';
import { serializeOn } from './dialect';

type Db = Kysely<Database>;

interface Unit {
	lock: string;
	work(trx: Transaction<Database>): Promise<unknown>;
	resolve(value: unknown): void;
	reject(err: unknown): void;
}

/** Units waiting for the end of this turn of the event loop, per database. */
const waiting = new Map<Db, Unit[]>();

/**
 * Runs `work` in a transaction shared with the other units queued in the same turn of the event
 * loop (concurrent uploads): one begin and one commit for all of them instead of one each —
 * on SQLite one WAL write, on PostgreSQL one fsync (docs/performance.md, ingest). The promise
 * settles once that transaction has committed (or failed), so a caller that answers after it
 * answers only for work that is durable.
 *
 * `lock` is the unit's serializeOn key: every key of the batch is taken first, in sorted order,
 * so two batches (two instances on PostgreSQL) never wait on each other in a cycle. Units run one
 * after another, in the order they were queued, and each sees the writes of those before it.
 * If the shared transaction fails, nothing of it is kept and each unit runs again alone, so one
 * bad unit fails only itself. A unit may therefore run twice: its work must only write through
 * `trx`.
 */
export function inSharedTransaction<T>(
	db: Db,
	lock: string,
	work: (trx: Transaction<Database>) => Promise<T>
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		let batch = waiting.get(db);
		if (!batch) {
			const fresh: Unit[] = (batch = []);
			waiting.set(db, fresh);
			setImmediate(() => void run(db, fresh));
		}
		batch.push({ lock, work, resolve: resolve as (value: unknown) => void, reject });
	});
}

async function run(db: Db, batch: Unit[]): Promise<void> {
	waiting.delete(db);
	if (batch.length > 1) {
		let results: unknown[] | null = null;
		try {
			results = await db.transaction().execute(async (trx) => {
				for (const key of [...new Set(batch.map((u) => u.lock))].sort())
					await serializeOn(trx, key);
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
	for (const unit of batch) {
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
}

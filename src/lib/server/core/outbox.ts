import { sql } from 'kysely';
import type { Clock } from './clock';
import type { DB } from './db';

/**
 * A durable outbox: work decided now and done later (forwarding calls, alerts, transcripts) is a
 * row first, so it survives restarts. A worker claims due rows, does them, and marks each done or
 * schedules a retry with exponential backoff; a row older than `maxAgeMs` is given up. Rows of one
 * lane are done strictly in id order: a lane's later rows wait while its oldest is retrying.
 * Done at least once: a crash between the work and `done` repeats that one item.
 *
 * Several instances on one database: a worker claims each head (`claimHeads`) with a conditional
 * update before doing it, so only one instance works a row; the claim is a lease, so a row whose
 * instance crashed is taken over once `claimed_until` passes. A claimed head keeps its lane waiting.
 */

export interface OutboxItem {
	id: number;
	kind: string;
	lane: string;
	ref: string;
	payload: unknown;
	attempts: number;
	createdAt: number;
}

/** Who claims work, and for how long (SQUELCH_CLAIM_LEASE). */
export interface Claimant {
	instanceId: string;
	leaseMs: number;
}

export interface RetryPolicy {
	/** First retry after this long; each further one doubles, up to maxDelayMs. */
	baseDelayMs: number;
	maxDelayMs: number;
	/** Give up on a row this long after it was queued. */
	maxAgeMs: number;
}

/** Queues work; the same (kind, ref) twice is queued once. Returns whether it was new. */
export async function enqueue(
	db: DB,
	clock: Clock,
	item: { kind: string; lane: string; ref: string; payload?: unknown }
): Promise<boolean> {
	const now = clock.now();
	const result = await db
		.insertInto('outbox')
		.values({
			kind: item.kind,
			lane: item.lane,
			ref: item.ref,
			payload: JSON.stringify(item.payload ?? {}),
			created_at: now,
			next_at: now,
			last_error: null,
			done_at: null,
			gave_up_at: null
		})
		.onConflict((oc) => oc.columns(['kind', 'ref']).doNothing())
		.executeTakeFirst();
	return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The oldest pending row of each lane of a kind, when it is due and nobody holds it. */
export async function dueHeads(db: DB, clock: Clock, kind: string, limit = 100) {
	const now = clock.now();
	const rows = await db
		.selectFrom('outbox as o')
		.selectAll()
		.where('o.kind', '=', kind)
		.where('o.done_at', 'is', null)
		.where('o.gave_up_at', 'is', null)
		.where('o.next_at', '<=', now)
		.where((eb) => eb.or([eb('o.claimed_until', 'is', null), eb('o.claimed_until', '<', now)]))
		.where(
			'o.id',
			'=',
			sql<number>`(select min(p.id) from outbox p where p.kind = o.kind and p.lane = o.lane and p.done_at is null and p.gave_up_at is null)`
		)
		.orderBy('o.id')
		.limit(limit)
		.execute();
	return rows.map((r): OutboxItem => ({
		id: r.id,
		kind: r.kind,
		lane: r.lane,
		ref: r.ref,
		payload: JSON.parse(r.payload),
		attempts: r.attempts,
		createdAt: r.created_at
	}));
}

/**
 * Takes a row for `claimant` until now + lease, unless another instance holds an unexpired
 * claim or the row is finished. The update's condition decides, so of several instances racing
 * for one row exactly one wins, on SQLite and on PostgreSQL alike.
 */
export async function claimRow(
	db: DB,
	clock: Clock,
	id: number,
	claimant: Claimant
): Promise<boolean> {
	const now = clock.now();
	const result = await db
		.updateTable('outbox')
		.set({ claimed_by: claimant.instanceId, claimed_until: now + claimant.leaseMs })
		.where('id', '=', id)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
		.executeTakeFirst();
	return Number(result.numUpdatedRows) > 0;
}

/** The due heads (see dueHeads) that this instance managed to claim. */
export async function claimHeads(
	db: DB,
	clock: Clock,
	kind: string,
	claimant: Claimant,
	limit = 100
): Promise<OutboxItem[]> {
	const heads = await dueHeads(db, clock, kind, limit);
	const claimed: OutboxItem[] = [];
	for (const head of heads) if (await claimRow(db, clock, head.id, claimant)) claimed.push(head);
	return claimed;
}

/** Gives a claimed row back, to be tried again at `nextAt` (by any instance). */
export async function release(db: DB, id: number, nextAt: number): Promise<void> {
	await db
		.updateTable('outbox')
		.set({ next_at: nextAt, claimed_by: null, claimed_until: null })
		.where('id', '=', id)
		.execute();
}

/**
 * Claims a due row for `leaseMs` (its next_at moves past now), so another worker or instance that
 * read the same head skips it; false when someone else claimed or finished it first. A worker that
 * dies holding a claim leaves the row to be retried when the lease ends.
 */
export async function claimDue(
	db: DB,
	clock: Clock,
	id: number,
	leaseMs: number
): Promise<boolean> {
	const now = clock.now();
	const result = await db
		.updateTable('outbox')
		.set({ next_at: now + leaseMs })
		.where('id', '=', id)
		.where('next_at', '<=', now)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

/** Ends a row without doing it (its subject is gone); kept as given up with the reason. */
export async function markDropped(db: DB, clock: Clock, id: number, reason: string): Promise<void> {
	await db
		.updateTable('outbox')
		.set({ gave_up_at: clock.now(), last_error: reason.slice(0, 500) })
		.where('id', '=', id)
		.execute();
}

export async function markDone(db: DB, clock: Clock, id: number): Promise<void> {
	await db
		.updateTable('outbox')
		.set({ done_at: clock.now(), last_error: null, claimed_by: null, claimed_until: null })
		.where('id', '=', id)
		.execute();
}

/** Records a failure; returns 'gave-up' when the row is past its age, else when it retries. */
export async function markFailed(
	db: DB,
	clock: Clock,
	item: OutboxItem,
	error: string,
	policy: RetryPolicy
): Promise<{ gaveUp: boolean; nextAt: number }> {
	const now = clock.now();
	const attempts = item.attempts + 1;
	const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempts - 1, 30));
	const gaveUp = now - item.createdAt >= policy.maxAgeMs;
	await db
		.updateTable('outbox')
		.set({
			attempts,
			next_at: now + delay,
			last_error: error.slice(0, 500),
			gave_up_at: gaveUp ? now : null,
			claimed_by: null,
			claimed_until: null
		})
		.where('id', '=', item.id)
		.execute();
	return { gaveUp, nextAt: now + delay };
}

/** Rows still to do per lane of a kind. */
export async function pendingByLane(db: DB, kind: string): Promise<Map<string, number>> {
	const rows = await db
		.selectFrom('outbox')
		.select(['lane', (eb) => eb.fn.countAll<number>().as('n')])
		.where('kind', '=', kind)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.groupBy('lane')
		.execute();
	return new Map(rows.map((r) => [r.lane, Number(r.n)]));
}

/** Removes finished rows older than `olderThanMs`, so the table does not grow forever. */
export async function pruneOutbox(db: DB, clock: Clock, olderThanMs: number): Promise<number> {
	const before = clock.now() - olderThanMs;
	const result = await db
		.deleteFrom('outbox')
		.where((eb) =>
			eb.or([
				eb.and([eb('done_at', 'is not', null), eb('done_at', '<', before)]),
				eb.and([eb('gave_up_at', 'is not', null), eb('gave_up_at', '<', before)])
			])
		)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}

export interface OutboxWorker {
	/** Run a pass soon (new work was queued). */
	wake(): void;
	/** Resolves once the current pass (if any) is finished. */
	stop(): Promise<void>;
}

/**
 * Runs `pass` now, every `intervalMs`, and whenever woken; never two passes at once. `pass` does
 * the kind's work (see forward/worker.ts) with the functions above.
 */
export function startOutboxWorker(pass: () => Promise<void>, intervalMs: number): OutboxWorker {
	let running: Promise<void> | null = null;
	let again = false;
	let stopped = false;
	const run = () => {
		if (stopped) return;
		if (running) {
			again = true;
			return;
		}
		running = pass()
			.catch((err) =>
				console.error('outbox pass failed:', err instanceof Error ? err.message : err)
			)
			.finally(() => {
				running = null;
				if (again) {
					again = false;
					run();
				}
			});
	};
	const timer = setInterval(run, intervalMs);
	timer.unref();
	run();
	return {
		wake: run,
		async stop() {
			stopped = true;
			clearInterval(timer);
			await running;
		}
	};
}

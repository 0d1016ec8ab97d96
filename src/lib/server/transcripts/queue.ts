import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Settings } from '../core/settings';
import { enqueue } from '../core/outbox';

/** The outbox kind of transcript work; each call is its own lane (a retrying call holds up none). */
export const TRANSCRIPT_KIND = 'transcript';
export const laneOf = (callId: number) => `call:${callId}`;

const BATCH = 500;

/** Whether the admin's scope ("SYSTEM" or "SYSTEM:TALKGROUP" entries; empty: all) takes a call. */
export function inScope(scope: readonly string[], system: number, talkgroup: number): boolean {
	return (
		scope.length === 0 || scope.includes(`${system}`) || scope.includes(`${system}:${talkgroup}`)
	);
}

/**
 * Queues calls whose audio became final since the cursor: the queue reads call publications in
 * seq order (a call is published once its audio is encoded or kept as received), filtered by
 * scope and minimum duration (with the engine off, `passOver` moves the cursor instead). The
 * cursor moves with a conditional update in the same transaction as the rows, so two instances
 * never queue a stretch twice (and enqueue is idempotent per call anyway). Returns how many
 * publications were read (0: caught up).
 */
export async function queueFinishedCalls(
	deps: { db: DB; clock: Clock },
	settings: Settings
): Promise<number> {
	// Read outside any transaction: on SQLite a transaction that reads and then writes cannot wait
	// for another process's write lock (it fails at once), so the one below starts by writing.
	const cursor = await deps.db
		.selectFrom('transcript_cursor')
		.select('seq')
		.where('id', '=', 1)
		.executeTakeFirst();
	if (!cursor) {
		// First start: begin after the archive (only calls published from now on are sent).
		const max = await deps.db
			.selectFrom('call_publications')
			.select((eb) => eb.fn.max('seq').as('seq'))
			.executeTakeFirst();
		await deps.db
			.insertInto('transcript_cursor')
			.values({ id: 1, seq: Number(max?.seq ?? 0) })
			.onConflict((oc) => oc.column('id').doNothing())
			.execute();
		return 0;
	}
	const from = Number(cursor.seq);
	const rows = await deps.db
		.selectFrom('call_publications as p')
		.innerJoin('calls', 'calls.id', 'p.call_id')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
		.select([
			'p.seq',
			'calls.id',
			'calls.duration',
			'systems.system_ref',
			'talkgroups.talkgroup_ref'
		])
		.where('p.seq', '>', from)
		.where('p.kind', '=', 'call')
		.orderBy('p.seq')
		.limit(BATCH)
		.execute();
	if (!rows.length) return 0;
	const to = rows[rows.length - 1].seq;
	const moveCursor = async (db: DB) =>
		Number(
			(
				await db
					.updateTable('transcript_cursor')
					.set({ seq: to })
					.where('id', '=', 1)
					.where('seq', '=', from)
					.executeTakeFirst()
			).numUpdatedRows
		) === 1;
	const wanted = rows.filter(
		(r) =>
			r.duration >= settings.sttMinDurationSec &&
			inScope(settings.sttScope, r.system_ref, r.talkgroup_ref)
	);
	return deps.db
		.transaction()
		.execute(async (trx) => {
			for (const r of wanted)
				await enqueue(trx, deps.clock, {
					kind: TRANSCRIPT_KIND,
					lane: laneOf(r.id),
					ref: `call:${r.id}`,
					payload: { callId: r.id }
				});
			// Another instance moved it first: undo ours (its rows are the same calls).
			if (!(await moveCursor(trx))) throw new CursorMoved();
			return rows.length;
		})
		.catch((err) => {
			if (err instanceof CursorMoved) return 0;
			throw err;
		});
}

class CursorMoved extends Error {}

/**
 * With the engine off, the cursor follows the feed's head instead of reading each call: only
 * forward, so an instance queuing meanwhile keeps its place. `publishedBy` (epoch ms): the head as
 * it was then — the moment the engine was switched on, so calls from before are passed over.
 */
export async function passOver(db: DB, publishedBy: number | null = null): Promise<void> {
	let head = db.selectFrom('call_publications').select('seq');
	if (publishedBy !== null) head = head.where('published_at', '<=', publishedBy);
	const row = await head.orderBy('seq', 'desc').limit(1).executeTakeFirst();
	if (!row) return;
	await db
		.updateTable('transcript_cursor')
		.set({ seq: row.seq })
		.where('id', '=', 1)
		.where('seq', '<', row.seq)
		.execute();
}

/** When the engine was last switched (the later of its two settings rows; null: never set). */
export async function engineSwitchedAt(db: DB): Promise<number | null> {
	const row = await db
		.selectFrom('settings')
		.select((eb) => eb.fn.max('updated_at').as('at'))
		.where('key', 'in', ['sttEngine', 'sttUrl'])
		.executeTakeFirst();
	return row?.at == null ? null : Number(row.at);
}

/**
 * Queues calls again on the admin's request (re-transcribe): a fresh row each, even if done before;
 * a call still waiting is not queued twice. Returns how many were queued.
 */
export async function requeueCalls(
	deps: { db: DB; clock: Clock },
	callIds: readonly number[]
): Promise<number> {
	const stamp = deps.clock.now();
	let queued = 0;
	await deps.db.transaction().execute(async (trx) => {
		for (let i = 0; i < callIds.length; i += 500) {
			const ids = callIds.slice(i, i + 500);
			const waiting = await trx
				.selectFrom('outbox')
				.select('lane')
				.where('kind', '=', TRANSCRIPT_KIND)
				.where(
					'lane',
					'in',
					ids.map((id) => laneOf(id))
				)
				.where('done_at', 'is', null)
				.where('gave_up_at', 'is', null)
				.execute();
			const skip = new Set(waiting.map((w) => w.lane));
			for (const id of ids) {
				if (skip.has(laneOf(id))) continue;
				const added = await enqueue(trx, deps.clock, {
					kind: TRANSCRIPT_KIND,
					lane: laneOf(id),
					ref: `call:${id}:again:${stamp}`,
					payload: { callId: id }
				});
				if (added) queued++;
			}
		}
	});
	return queued;
}

/** Calls waiting (queued or retrying). */
export async function backlogLength(db: DB): Promise<number> {
	const row = await db
		.selectFrom('outbox')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('kind', '=', TRANSCRIPT_KIND)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

/**
 * Keeps the backlog at most `limit`: the oldest waiting calls are given up (newest speech is
 * what listeners read). Returns how many were dropped.
 */
export async function trimBacklog(deps: { db: DB; clock: Clock }, limit: number): Promise<number> {
	const excess = (await backlogLength(deps.db)) - limit;
	if (excess <= 0) return 0;
	const oldest = deps.db
		.selectFrom('outbox')
		.select('id')
		.where('kind', '=', TRANSCRIPT_KIND)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.orderBy('id')
		.limit(excess);
	const result = await deps.db
		.updateTable('outbox')
		.set({ gave_up_at: deps.clock.now(), last_error: 'dropped: backlog full' })
		.where('id', 'in', oldest)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.executeTakeFirst();
	return Number(result.numUpdatedRows);
}

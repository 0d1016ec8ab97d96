import { sql } from 'kysely';
import type { DB } from '../core/db';
import { forUpdate } from '../core/db/dialect';

/**
 * The shared decision cursor (`alert_cursor`, one row): every call up to it was decided, by this
 * instance or another. Moving it is a conditional update, so two evaluators cannot both decide
 * one call; on PostgreSQL the second waits on the row lock, then finds the condition false.
 */

/** The cursor; on the first start it begins after the archive, so old calls raise nothing. */
export async function cursorOf(db: DB): Promise<number> {
	const row = await db.selectFrom('alert_cursor').select('call_id').executeTakeFirst();
	if (row) return row.call_id;
	const max = await db
		.selectFrom('calls')
		.select(sql<number | null>`max(id)`.as('max'))
		.executeTakeFirst();
	const start = max?.max ?? 0;
	await db
		.insertInto('alert_cursor')
		.values({ id: 1, call_id: start })
		.onConflict((oc) => oc.column('id').doNothing())
		.execute();
	return start;
}

/** Moves the cursor past every stored call (rules appeared: what came before them raises nothing). */
export async function skipToLatest(db: DB): Promise<void> {
	await cursorOf(db);
	const latest = sql<number>`(select coalesce(max(id), 0) from calls)`;
	await db
		.updateTable('alert_cursor')
		.set({ call_id: latest })
		.where('id', '=', 1)
		.where('call_id', '<', latest)
		.execute();
}

/** Moves the cursor from below `below` up to `to`; false when it was not below. */
async function moveFrom(db: DB, below: number, to: number): Promise<boolean> {
	const moved = await db
		.updateTable('alert_cursor')
		.set({ call_id: to })
		.where('id', '=', 1)
		.where('call_id', '<', below)
		.executeTakeFirst();
	return Number(moved.numUpdatedRows) === 1;
}

/** Makes the cursor row when there is none yet (a decision before the worker's first start). */
async function ensureCursor(db: DB): Promise<boolean> {
	const made = await db
		.insertInto('alert_cursor')
		.values({ id: 1, call_id: 0 })
		.onConflict((oc) => oc.column('id').doNothing())
		.executeTakeFirst();
	return Number(made.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Moves the cursor up to `callId`; false when an evaluator already decided it. */
export async function claimThrough(db: DB, callId: number): Promise<boolean> {
	if (await moveFrom(db, callId, callId)) return true;
	return (await ensureCursor(db)) && moveFrom(db, callId, callId);
}

/**
 * Claims the undecided calls of `first`..`last` (ids, in order) for the caller's transaction and
 * moves the cursor to `last`; returns the id the claimed calls come after (calls up to it were
 * decided already; `last` or more: none is left). One statement when no one else got there first.
 */
export async function claimCalls(trx: DB, first: number, last: number): Promise<number> {
	if (await moveFrom(trx, first, last)) return first - 1;
	await ensureCursor(trx);
	const row = await forUpdate(
		trx,
		trx.selectFrom('alert_cursor').select('call_id').where('id', '=', 1)
	).executeTakeFirstOrThrow();
	if (row.call_id >= last) return row.call_id;
	await moveFrom(trx, last, last);
	return row.call_id;
}

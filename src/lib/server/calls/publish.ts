import type { Expression, ExpressionBuilder, SqlBool, Transaction } from 'kysely';
import type { DB } from '../core/db';
import type { Database } from '../core/db/types';
import type { Viewer } from '../auth/access-token';
import { lockFeed } from '../core/db/feed-lock';
import { prepared, type Param } from '../core/db/prepared';

/**
 * When a call becomes audible, and to whom (docs/audio.md "Live ordering").
 *
 * A call is stored first and published later: once its audio is final (encoded, or kept as
 * received) it is published to the delay-exempt audience (admins and users marked exempt), and
 * once it is also due (its broadcast delay has passed) to everyone. Each publication is a row in
 * `call_publications`, whose seq is the order the live feed hands calls out in; without a delay
 * both happen at once as one `all` row.
 */

/** Whose view of delayed calls applies: `exempt` hears a delayed call at once, `public` when due. */
export type Audience = 'exempt' | 'public';

export async function audienceOf(db: DB, viewer: Viewer | null): Promise<Audience> {
	if (!viewer) return 'public';
	if (viewer.role === 'admin') return 'exempt';
	const row = await db
		.selectFrom('users')
		.select('delay_exempt')
		.where('id', '=', viewer.userId)
		.executeTakeFirst();
	return row?.delay_exempt === 1 ? 'exempt' : 'public';
}

/** A where-clause limiting `calls` to what the audience may hear now: audio final, and due. */
export function audibleFilter(audience: Audience, now: number) {
	return (eb: ExpressionBuilder<Database, 'calls'>): Expression<SqlBool> =>
		audience === 'exempt'
			? eb('calls.ready_at', 'is not', null)
			: eb.and([eb('calls.ready_at', 'is not', null), eb('calls.due_at', '<=', now)]);
}

/**
 * When a call may be heard by everyone: its start (or its arrival, if the recorder's clock runs
 * ahead) plus the longest delay of its system and talkgroup. Never later than arrival + delay.
 */
export function dueAt(dateTime: number, receivedAt: number, delayMinutes: number): number {
	return Math.min(dateTime, receivedAt) + delayMinutes * 60_000;
}

/** Inside the transaction that makes a call's audio final: publishes it to whoever may hear it now. */
export async function publishReady(
	trx: Transaction<Database>,
	call: { id: number; dueAt: number },
	now: number
): Promise<void> {
	const due = call.dueAt <= now;
	await lockFeed(trx, 'calls');
	await insertPublication(trx, call, now);
	await trx
		.updateTable('calls')
		.set({ ready_at: now, ...(due ? { public_at: now } : {}) })
		.where('id', '=', call.id)
		.execute();
}

/**
 * The columns of a call whose audio is final as it is stored (ingest without an encode): what
 * publishReady would set, written with the row instead of by a second statement.
 */
export function readyOnArrival(dueAt: number, now: number) {
	return { ready_at: now, public_at: dueAt <= now ? now : null };
}

const publication = prepared(
	(db, p: Param<{ callId: number; audience: 'all' | 'exempt'; publishedAt: number }>) =>
		db
			.insertInto('call_publications')
			.values({ call_id: p('callId'), audience: p('audience'), published_at: p('publishedAt') })
);

/**
 * The publication row of a ready call, for everyone when it is due, else for the delay-exempt.
 * The caller holds the feed lock (lockFeed) and sets the call's ready columns in the same transaction.
 */
export async function insertPublication(
	trx: Transaction<Database>,
	call: { id: number; dueAt: number },
	now: number
): Promise<void> {
	const audience = call.dueAt <= now ? ('all' as const) : ('exempt' as const);
	await publication.execute(trx, { callId: call.id, audience, publishedAt: now });
}

/**
 * Publishes every ready call that is due and not yet public; returns how many. The calls are
 * claimed by a conditional update, so two instances (PostgreSQL) never publish one call twice:
 * the second waits on the first's row locks and then finds `public_at` set.
 */
export async function publishDue(db: DB, now: number): Promise<number> {
	return db.transaction().execute(async (trx) => {
		// The feed lock first: publication seqs in commit order (core/db/feed-lock.ts).
		await lockFeed(trx, 'calls');
		const claimed = await trx
			.updateTable('calls')
			.set({ public_at: now })
			.where('public_at', 'is', null)
			.where('id', 'in', (eb) =>
				eb
					.selectFrom('calls')
					.select('id')
					.where('public_at', 'is', null)
					.where('due_at', '<=', now)
					.where('ready_at', 'is not', null)
					.orderBy('due_at')
					.orderBy('id')
					.limit(1000)
			)
			.returning(['id', 'due_at'])
			.execute();
		if (!claimed.length) return 0;
		claimed.sort((a, b) => a.due_at - b.due_at || a.id - b.id);
		await trx
			.insertInto('call_publications')
			.values(
				claimed.map(({ id }) => ({ call_id: id, audience: 'public' as const, published_at: now }))
			)
			.execute();
		return claimed.length;
	});
}

/** The earliest due time of a ready call still waiting for its public publication, or null. */
export async function nextDue(db: DB): Promise<number | null> {
	const row = await db
		.selectFrom('calls')
		.select('due_at')
		.where('public_at', 'is', null)
		.where('ready_at', 'is not', null)
		.orderBy('due_at')
		.limit(1)
		.executeTakeFirst();
	return row?.due_at ?? null;
}

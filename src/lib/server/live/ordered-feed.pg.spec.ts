import { expect, it } from 'vitest';
import { sql, type Transaction } from 'kysely';
import { createTestDb, type DB } from '../core/db';
import type { Database } from '../core/db/types';
import { InProcessBus } from '../core/bus';
import { isPostgres } from '../core/db/dialect';
import { publishReady } from '../calls/publish';
import { seedCall, seedSystem } from '../admin/test-support';
import { createLiveFeeds } from './feeds';

/**
 * Two writers on two connections, forced into the order that loses a row when ids are taken in
 * one order and committed in another: tx A inserts and stays open, tx B inserts and commits, the
 * feed reads, A commits, the feed reads. PostgreSQL only (*.pg.spec.ts).
 */
type Write = (trx: Transaction<Database>, callId: number) => Promise<void>;

async function interleave(write: Write): Promise<{ delivered: number[]; ids: number[] }> {
	const db = await createTestDb();
	expect(isPostgres(db)).toBe(true);
	const { systemId, talkgroupIds } = await seedSystem(db, 1, 'County', [100]);
	const ids = [
		await seedCall(db, systemId, talkgroupIds[0], Date.UTC(2026, 0, 1)),
		await seedCall(db, systemId, talkgroupIds[0], Date.UTC(2026, 0, 2))
	];
	await db.deleteFrom('call_publications').execute(); // stored, not yet published
	const bus = new InProcessBus();
	const feed = createLiveFeeds({ db, bus }).calls;
	const delivered: number[] = [];
	await feed.subscribe((row) => delivered.push(row.call.id));
	const read = async () => {
		bus.publish('call.published', { count: 1 });
		await feed.settled();
	};

	let releaseA!: () => void;
	let aInserted!: () => void;
	const inserted = new Promise<void>((resolve) => (aInserted = resolve));
	const txA = db.transaction().execute(async (trx) => {
		await write(trx, ids[0]);
		aInserted();
		await new Promise<void>((resolve) => (releaseA = resolve));
	});
	await inserted;
	const txB = db.transaction().execute((trx) => write(trx, ids[1]));
	// B either commits, or waits for A's lock: go on once one of the two has happened.
	await Promise.race([txB, waitingForLock(db)]);
	await read();
	releaseA();
	await Promise.all([txA, txB]);
	await read();
	await db.destroy();
	return { delivered, ids };
}

/** Resolves once some connection of this database waits for a lock. */
async function waitingForLock(db: DB): Promise<void> {
	for (;;) {
		const { rows } = await sql<{ n: number }>`select count(*) as n from pg_stat_activity
			where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
		if (Number(rows[0].n) > 0) return;
		await new Promise((resolve) => setImmediate(resolve));
	}
}

it('without the feed lock the interleaving is real: the row that commits late is skipped', async () => {
	const { delivered, ids } = await interleave(async (trx, callId) => {
		await trx
			.insertInto('call_publications')
			.values({ call_id: callId, audience: 'all', published_at: 0 })
			.execute();
	});
	expect(delivered).toEqual([ids[1]]);
});

it('publishReady takes the feed lock: every row once, in order, whatever the commit order', async () => {
	const { delivered, ids } = await interleave((trx, callId) =>
		publishReady(trx, { id: callId, dueAt: 0 }, 1)
	);
	expect(delivered).toEqual(ids);
});

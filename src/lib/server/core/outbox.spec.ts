import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock';
import { createTestDb } from './db';
import { dueHeads, enqueue, markDone, markFailed, pendingByLane, pruneOutbox } from './outbox';

const policy = { baseDelayMs: 1000, maxDelayMs: 8000, maxAgeMs: 60_000 };

describe('outbox', () => {
	it('queues a ref once, and hands out only the oldest row of each lane', async () => {
		const db = await createTestDb();
		const clock = new ManualClock();
		expect(await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '1' })).toBe(true);
		expect(await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '1' })).toBe(false);
		await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '2', payload: { n: 2 } });
		await enqueue(db, clock, { kind: 'k', lane: 'b', ref: '3' });
		await enqueue(db, clock, { kind: 'other', lane: 'a', ref: '4' });
		const heads = await dueHeads(db, clock, 'k');
		expect(heads.map((h) => h.ref)).toEqual(['1', '3']);
		await markDone(db, clock, heads[0].id);
		const next = await dueHeads(db, clock, 'k');
		expect(next.map((h) => [h.ref, h.payload])).toEqual([
			['2', { n: 2 }],
			['3', {}]
		]);
		expect(await pendingByLane(db, 'k')).toEqual(
			new Map([
				['a', 1],
				['b', 1]
			])
		);
	});

	it('a failing head blocks its lane, backs off doubling, and gives up after the max age', async () => {
		const db = await createTestDb();
		const clock = new ManualClock();
		await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '1' });
		await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '2' });
		let [head] = await dueHeads(db, clock, 'k');
		expect((await markFailed(db, clock, head, 'down', policy)).nextAt).toBe(clock.now() + 1000);
		expect(await dueHeads(db, clock, 'k')).toEqual([]); // ref 2 waits behind ref 1
		clock.advance(1000);
		[head] = await dueHeads(db, clock, 'k');
		expect(head).toMatchObject({ ref: '1', attempts: 1 });
		expect((await markFailed(db, clock, head, 'down', policy)).nextAt).toBe(clock.now() + 2000);
		clock.advance(60_000);
		[head] = await dueHeads(db, clock, 'k');
		expect((await markFailed(db, clock, head, 'still down', policy)).gaveUp).toBe(true);
		expect((await dueHeads(db, clock, 'k')).map((h) => h.ref)).toEqual(['2']);
		const row = await db.selectFrom('outbox').selectAll().where('ref', '=', '1').executeTakeFirst();
		expect(row).toMatchObject({ attempts: 3, last_error: 'still down' });
		expect(await pruneOutbox(db, clock, 0)).toBe(0);
		clock.advance(1);
		expect(await pruneOutbox(db, clock, 0)).toBe(1);
	});
});

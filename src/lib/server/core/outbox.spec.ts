import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock';
import { createSharedTestDbs, createTestDb, type DB } from './db';
import {
	claimHeads,
	claimRow,
	dueHeads,
	enqueue,
	markDone,
	markFailed,
	pendingByLane,
	pruneOutbox,
	type Claimant
} from './outbox';

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

	it('two instances on one database racing for the same rows do each row exactly once, lanes in order', async () => {
		const [dbA, dbB] = await createSharedTestDbs(2);
		const clock = new ManualClock();
		for (let i = 0; i < 40; i++)
			await enqueue(dbA, clock, { kind: 'k', lane: `lane${i % 4}`, ref: String(i) });
		const done: Array<{ by: string; lane: string; ref: string }> = [];
		// One worker pass, as forward/worker.ts runs it: claim due heads, do them, mark them done.
		const work = async (db: DB, claimant: Claimant) => {
			for (let idle = 0; idle < 200; idle++) {
				const items = await claimHeads(db, clock, 'k', claimant);
				if (!items.length && !(await pendingByLane(db, 'k')).size) return;
				for (const item of items) {
					await new Promise((r) => setImmediate(r)); // the other instance runs meanwhile
					done.push({ by: claimant.instanceId, lane: item.lane, ref: item.ref });
					await markDone(db, clock, item.id);
				}
				if (!items.length) await new Promise((r) => setImmediate(r));
			}
		};
		await Promise.all([
			work(dbA, { instanceId: 'a', leaseMs: 60_000 }),
			work(dbB, { instanceId: 'b', leaseMs: 60_000 })
		]);
		expect(done.map((d) => Number(d.ref)).sort((x, y) => x - y)).toEqual(
			Array.from({ length: 40 }, (_, i) => i)
		);
		for (let lane = 0; lane < 4; lane++) {
			const refs = done.filter((d) => d.lane === `lane${lane}`).map((d) => Number(d.ref));
			expect(refs).toEqual([...refs].sort((x, y) => x - y));
		}
		// Both took part: the claim shares the work rather than serializing on one instance.
		expect(new Set(done.map((d) => d.by))).toEqual(new Set(['a', 'b']));
		await Promise.all([dbA.destroy(), dbB.destroy()]);
	});

	it('a claimed row is refused to another instance until its lease runs out, then taken over', async () => {
		const [dbA, dbB] = await createSharedTestDbs(2);
		const clock = new ManualClock();
		await enqueue(dbA, clock, { kind: 'k', lane: 'a', ref: '1' });
		await enqueue(dbA, clock, { kind: 'k', lane: 'a', ref: '2' });
		const [head] = await claimHeads(dbA, clock, 'k', { instanceId: 'a', leaseMs: 30_000 });
		expect(head.ref).toBe('1');
		// Instance a "crashes" holding the row: b sees nothing due, ref 2 waits behind it.
		expect(await claimRow(dbB, clock, head.id, { instanceId: 'b', leaseMs: 30_000 })).toBe(false);
		expect(await claimHeads(dbB, clock, 'k', { instanceId: 'b', leaseMs: 30_000 })).toEqual([]);
		clock.advance(30_000);
		expect(await claimHeads(dbB, clock, 'k', { instanceId: 'b', leaseMs: 30_000 })).toEqual([]);
		clock.advance(1);
		const [taken] = await claimHeads(dbB, clock, 'k', { instanceId: 'b', leaseMs: 30_000 });
		expect(taken).toMatchObject({ id: head.id, ref: '1' });
		const row = await dbB
			.selectFrom('outbox')
			.selectAll()
			.where('id', '=', head.id)
			.executeTakeFirstOrThrow();
		expect(row).toMatchObject({ claimed_by: 'b', claimed_until: Number(clock.now()) + 30_000 });
		await markDone(dbB, clock, taken.id);
		const [next] = await claimHeads(dbA, clock, 'k', { instanceId: 'a', leaseMs: 30_000 });
		expect(next.ref).toBe('2');
		// A finished row is never claimed again, even with its old lease long gone.
		clock.advance(3_600_000);
		expect(await claimRow(dbA, clock, head.id, { instanceId: 'a', leaseMs: 1 })).toBe(false);
		await Promise.all([dbA.destroy(), dbB.destroy()]);
	});

	it('a failure gives the claim back: the retry is due to any instance after its backoff', async () => {
		const db = await createTestDb();
		const clock = new ManualClock();
		await enqueue(db, clock, { kind: 'k', lane: 'a', ref: '1' });
		const [head] = await claimHeads(db, clock, 'k', { instanceId: 'a', leaseMs: 600_000 });
		await markFailed(db, clock, head, 'down', policy);
		const row = await db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
		expect(row).toMatchObject({ claimed_by: null, claimed_until: null });
		clock.advance(1000);
		const [retry] = await claimHeads(db, clock, 'k', { instanceId: 'b', leaseMs: 600_000 });
		expect(retry).toMatchObject({ ref: '1', attempts: 1 });
	});
});

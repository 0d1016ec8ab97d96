import { describe, expect, it, vi } from 'vitest';
import { createTestDb } from '../core/db';
import { InProcessBus } from '../core/bus';
import { createLiveFeeds } from './feeds';
import { OrderedFeed } from './ordered-feed';
import { insertCall } from '../../../../tests/helpers/calls';

describe('OrderedFeed', () => {
	it('delivers every new row in id order, even when writers announce them out of order', async () => {
		const db = await createTestDb();
		const bus = new InProcessBus();
		const feed = createLiveFeeds({ db, bus }).calls;
		const got: number[] = [];
		const sub = await feed.subscribe((row) => got.push(row.call.id));
		expect(sub.startId).toBe(0);
		const a = await insertCall(db);
		const b = await insertCall(db);
		bus.publish('call.ingested', { callId: b }); // b's writer was faster
		bus.publish('call.ingested', { callId: a });
		await feed.settled();
		expect(got).toEqual([a, b]);
	});

	it('gives a late subscriber the seam: rows up to startId are history, rows after it arrive', async () => {
		const db = await createTestDb();
		const bus = new InProcessBus();
		const feed = createLiveFeeds({ db, bus }).calls;
		await feed.subscribe(() => {});
		const old = await insertCall(db);
		bus.publish('call.ingested', { callId: old });
		await feed.settled();
		const got: number[] = [];
		const sub = await feed.subscribe((row) => got.push(row.call.id));
		expect(sub.startId).toBe(old);
		const next = await insertCall(db);
		bus.publish('call.ingested', { callId: next });
		await feed.settled();
		expect(got).toEqual([next]);
		sub.unsubscribe();
		bus.publish('call.ingested', { callId: await insertCall(db) });
		await feed.settled();
		expect(got).toEqual([next]);
	});

	it('with no subscriber only moves its mark (no rows read); one who joins while it does loses nothing', async () => {
		const rows: Array<{ id: number }> = [];
		let reads = 0;
		let wake = () => {};
		let maxGate: Promise<void> = Promise.resolve();
		const feed = new OrderedFeed<{ id: number }>(
			{
				maxId: async () => {
					await maxGate;
					return rows.at(-1)?.id ?? 0;
				},
				after: async (id) => {
					reads++;
					return rows.filter((r) => r.id > id);
				},
				idOf: (r) => r.id
			},
			(w) => ((wake = w), () => {})
		);
		const first = await feed.subscribe(() => {});
		first.unsubscribe();
		rows.push({ id: 1 }, { id: 2 });
		wake();
		await feed.settled();
		expect(reads).toBe(0);
		expect((await feed.subscribe(() => {})).startId).toBe(2); // history for a newcomer, not live
		// Idle again; a subscriber joins while the mark is being read: it gets every later row.
		const idle = new OrderedFeed<{ id: number }>(
			{
				maxId: async () => {
					await maxGate;
					return rows.at(-1)?.id ?? 0;
				},
				after: async (id) => rows.filter((r) => r.id > id),
				idOf: (r) => r.id
			},
			(w) => ((wake = w), () => {})
		);
		(await idle.subscribe(() => {})).unsubscribe();
		let open!: () => void;
		maxGate = new Promise((r) => (open = r));
		rows.push({ id: 3 });
		wake();
		await new Promise((r) => setImmediate(r));
		await new Promise((r) => setImmediate(r));
		const joined: number[] = [];
		const seam = idle.subscribe((r) => joined.push(r.id));
		open();
		const sub = await seam;
		await idle.settled();
		expect(sub.startId).toBe(2);
		expect(joined).toEqual([3]);
	});

	it('skips nothing when a read fails: the next wake delivers from where it stopped', async () => {
		const rows = [{ id: 1 }, { id: 2 }];
		let fail = true;
		let wake = () => {};
		const feed = new OrderedFeed<{ id: number }>(
			{
				maxId: async () => 0,
				after: async (id) => {
					if (fail) throw new Error('disk on fire');
					return rows.filter((r) => r.id > id);
				},
				idOf: (r) => r.id
			},
			(w) => ((wake = w), () => {})
		);
		const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
		const got: number[] = [];
		await feed.subscribe((r) => got.push(r.id));
		wake();
		await feed.settled();
		expect(got).toEqual([]);
		expect(errors).toHaveBeenCalledWith('live feed read failed:', expect.any(Error));
		fail = false;
		wake();
		await feed.settled();
		expect(got).toEqual([1, 2]);
		errors.mockRestore();
	});

	it('keeps delivering to others when one subscriber throws', async () => {
		let wake = () => {};
		const feed = new OrderedFeed<{ id: number }>(
			{ maxId: async () => 0, after: async (id) => (id < 1 ? [{ id: 1 }] : []), idOf: (r) => r.id },
			(w) => ((wake = w), () => {})
		);
		const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
		const got: number[] = [];
		await feed.subscribe(() => {
			throw new Error('bad subscriber');
		});
		await feed.subscribe((r) => got.push(r.id));
		wake();
		await feed.settled();
		expect(got).toEqual([1]);
		errors.mockRestore();
	});
});

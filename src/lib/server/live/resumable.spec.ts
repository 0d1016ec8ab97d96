import { describe, expect, it } from 'vitest';
import { OrderedFeed } from './ordered-feed';
import { resume, resumable } from './resumable';

/** A table of numbered rows in memory, with the feed a bus message would wake. */
function table(initial: number[]) {
	const rows = [...initial];
	let wake: () => void = () => {};
	const feed = new OrderedFeed<number>(
		{
			maxId: async () => rows.at(-1) ?? 0,
			after: async (id, limit) => rows.filter((r) => r > id).slice(0, limit),
			idOf: (r) => r
		},
		(w) => {
			wake = w;
			return () => {};
		}
	);
	return {
		feed,
		append(...ids: number[]) {
			rows.push(...ids);
			wake();
			return feed.settled();
		},
		replay: async (after: number, upTo: number) => rows.filter((r) => r > after && r <= upTo)
	};
}

describe('resume: replay, then live, through one seam', () => {
	it('replays after lastEventId, then delivers live rows, each once, in order', async () => {
		const t = table([1, 2, 3]);
		const got: number[] = [];
		const stream = await resume({
			feed: t.feed,
			idOf: (r) => r,
			accept: () => true,
			lastEventId: 1,
			replay: t.replay,
			deliver: (r) => got.push(r)
		});
		await t.append(4, 5);
		expect(got).toEqual([2, 3, 4, 5]);
		stream.close();
		await t.append(6);
		expect(got).toEqual([2, 3, 4, 5]);
	});

	it('holds live rows while held and judges them with accept as it stands at release', async () => {
		const t = table([]);
		const got: number[] = [];
		let allowed = (r: number) => r % 2 === 0 || r > 0;
		const stream = await resume({
			feed: t.feed,
			idOf: (r) => r,
			accept: (r) => allowed(r),
			lastEventId: null,
			replay: t.replay,
			deliver: (r) => got.push(r)
		});
		await t.append(1);
		const first = stream.hold();
		const second = stream.hold();
		await t.append(2, 3, 4);
		expect(got).toEqual([1]);
		allowed = (r) => r % 2 === 0; // access narrowed while held: odd rows no longer pass
		first();
		first(); // releasing twice counts once
		expect(got).toEqual([1]);
		second();
		expect(got).toEqual([1, 2, 4]);
		await t.append(5, 6);
		expect(got).toEqual([1, 2, 4, 6]);
	});

	it('as a generator (admin.events): backlog, then live, ending on abort', async () => {
		const t = table([1, 2, 3]);
		const abort = new AbortController();
		const rows = resumable({
			feed: t.feed,
			idOf: (r) => r,
			accept: (r) => r !== 5,
			lastEventId: null,
			replay: t.replay,
			initial: async (upTo) => [upTo],
			signal: abort.signal
		});
		const got: number[] = [];
		const done = (async () => {
			for await (const r of rows) {
				got.push(r);
				if (r === 6) abort.abort();
			}
		})();
		await t.append(4, 5, 6);
		await done;
		expect(got).toEqual([3, 4, 6]);
	});
});

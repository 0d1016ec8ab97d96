import { Inbox } from './inbox';
import type { OrderedFeed } from './ordered-feed';

export interface ResumableOptions<T> {
	feed: OrderedFeed<T>;
	idOf(row: T): number;
	/** Whether this subscriber may see a live row. */
	accept(row: T): boolean;
	/** The client's last id, or null on a first subscribe. */
	lastEventId: number | null;
	/** Rows in (afterId, upToId] the subscriber may see, oldest first, bounded by the caller. */
	replay(afterId: number, upToId: number): Promise<T[]>;
	/** On a first subscribe: rows up to upToId to start with (a short backlog), or none. */
	initial?(upToId: number): Promise<T[]>;
	signal?: AbortSignal;
}

/**
 * Replay, then live, with no gap and no duplicate: the feed subscription comes first and hands
 * back its seam (`startId`); the replay reads the table up to that seam and the feed delivers
 * everything after it. Ids are checked once more at the seam all the same.
 */
export async function* resumable<T>(opts: ResumableOptions<T>): AsyncGenerator<T, void, undefined> {
	const inbox = new Inbox<T>();
	const subscription = await opts.feed.subscribe((row) => {
		if (opts.accept(row)) inbox.push(row);
	});
	let lastYielded = -Infinity;
	try {
		// A lastEventId from another history (a reset database) is ahead of the seam: the replay
		// is empty and, since only ids this stream yielded are skipped, live rows still arrive.
		const backlog =
			opts.lastEventId !== null
				? await opts.replay(opts.lastEventId, subscription.startId)
				: ((await opts.initial?.(subscription.startId)) ?? []);
		for (const row of backlog) {
			if (opts.signal?.aborted) return;
			lastYielded = opts.idOf(row);
			yield row;
		}
		for (;;) {
			const batch = await inbox.take(opts.signal);
			if (!batch) return;
			for (const row of batch) {
				const id = opts.idOf(row);
				if (id <= lastYielded) continue;
				lastYielded = id;
				yield row;
			}
		}
	} finally {
		subscription.unsubscribe();
	}
}

/** `lastEventId` as the API receives it: a decimal id, or nothing. */
export function parseEventId(raw: string | null | undefined): number | null {
	if (raw === null || raw === undefined || !/^\d{1,15}$/.test(raw)) return null;
	return Number(raw);
}

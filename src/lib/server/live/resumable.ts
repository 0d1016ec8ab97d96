import { Inbox } from './inbox';
import type { OrderedFeed } from './ordered-feed';

export interface ResumeOptions<T> {
	feed: OrderedFeed<T>;
	idOf(row: T): number;
	/** Whether this subscriber may see a row; asked when the row is handed over, not before. */
	accept(row: T): boolean;
	/** The client's last id, or null on a first subscribe. */
	lastEventId: number | null;
	/** Rows in (afterId, upToId] the subscriber may see, oldest first, bounded by the caller. */
	replay(afterId: number, upToId: number): Promise<T[]>;
	/** On a first subscribe: rows up to upToId to start with (a short backlog), or none. */
	initial?(upToId: number): Promise<T[]>;
	/** Gets each accepted row, in id order, once; synchronously, straight from the feed. */
	deliver(row: T): void;
}

export interface Resumed {
	/** Stops delivery; safe to call more than once. */
	close(): void;
	/**
	 * Holds live rows back until the returned release runs (e.g. while access is read again);
	 * `accept` then judges them. Holds nest: rows flow again once every hold is released.
	 */
	hold(): () => void;
}

/**
 * Replay, then live, with no gap and no duplicate: the feed subscription comes first and hands
 * back its seam (`startId`); the replay reads the table up to that seam, and live rows that
 * arrive meanwhile wait, then follow it. Ids are checked once more at the seam all the same.
 *
 * Delivery is synchronous: a live row reaches every subscriber in the feed's one pass, with no
 * per-subscriber queue or promise in between, unless that subscriber holds.
 */
export async function resume<T>(opts: ResumeOptions<T>): Promise<Resumed> {
	let closed = false;
	let lastSent = -Infinity;
	let holds = 1; // the replay's own hold
	let held: T[] = [];
	const send = (row: T) => {
		const id = opts.idOf(row);
		if (closed || id <= lastSent || !opts.accept(row)) return;
		lastSent = id;
		opts.deliver(row);
	};
	const release = () => {
		if (--holds > 0 || closed) return;
		const rows = held;
		held = [];
		for (const row of rows) send(row);
	};
	const subscription = await opts.feed.subscribe((row) => {
		if (closed) return;
		if (holds > 0) held.push(row);
		else send(row);
	});
	const close = () => {
		if (closed) return;
		closed = true;
		held = [];
		subscription.unsubscribe();
	};
	try {
		// A lastEventId from another history (a reset database) is ahead of the seam: the replay
		// is empty and, since only ids this stream sent are skipped, live rows still arrive.
		const backlog =
			opts.lastEventId !== null
				? await opts.replay(opts.lastEventId, subscription.startId)
				: ((await opts.initial?.(subscription.startId)) ?? []);
		for (const row of backlog) send(row);
	} catch (err) {
		close();
		throw err;
	}
	release();
	return {
		close,
		hold() {
			holds++;
			let released = false;
			return () => {
				if (released) return;
				released = true;
				release();
			};
		}
	};
}

/**
 * resume() as an async generator, for subscriptions that yield (admin.events): rows wait in the
 * subscriber's own inbox, so the feed never waits for this consumer.
 */
export async function* resumable<T>(
	opts: Omit<ResumeOptions<T>, 'deliver'> & { signal?: AbortSignal }
): AsyncGenerator<T, void, undefined> {
	const inbox = new Inbox<T>();
	const stream = await resume({ ...opts, deliver: (row) => inbox.push(row) });
	try {
		for (;;) {
			const batch = await inbox.take(opts.signal);
			if (!batch) return;
			for (const row of batch) yield row;
		}
	} finally {
		stream.close();
	}
}

/** `lastEventId` as the API receives it: a decimal id, or nothing. */
export function parseEventId(raw: string | null | undefined): number | null {
	if (raw === null || raw === undefined || !/^\d{1,15}$/.test(raw)) return null;
	return Number(raw);
}

/**
 * Where a feed reads its rows: the highest id now, and rows above an id in id order.
 */
export interface FeedSource<T> {
	maxId(): Promise<number>;
	after(id: number, limit: number): Promise<T[]>;
	idOf(row: T): number;
}

export interface FeedSubscription {
	/** Every row with an id above this one reaches the subscriber; none at or below it does. */
	startId: number;
	unsubscribe(): void;
}

const BATCH = 200;

/**
 * One reader of an append-only table (calls, events) for every subscriber in this process.
 * A bus message only wakes it; it then reads every row above its high-water mark, in id order,
 * and hands each row to every subscriber. So subscribers see ids strictly increasing and without
 * holes, even when two writers publish out of order, and a row is read once, not once per
 * listener. Delivery is synchronous: a subscriber that wants to wait buffers on its own side.
 */
export class OrderedFeed<T> {
	private subscribers = new Set<(row: T) => void>();
	private highWater = 0;
	private initialized: Promise<void> | null = null;
	private running: Promise<void> | null = null;
	private pending = false;
	private stopWaking: (() => void) | null = null;

	constructor(
		private source: FeedSource<T>,
		/** Subscribes `wake` to the bus topic that announces new rows; returns the unsubscribe. */
		private onWake: (wake: () => void) => () => void
	) {}

	/**
	 * Starts delivering rows. The returned `startId` is the seam: rows above it arrive through
	 * the subscriber, rows up to it are already in the table (replay them from there).
	 */
	async subscribe(subscriber: (row: T) => void): Promise<FeedSubscription> {
		this.stopWaking ??= this.onWake(() => this.wake());
		await this.init();
		// Synchronous from here: no row can be delivered between reading the mark and joining.
		this.subscribers.add(subscriber);
		return { startId: this.highWater, unsubscribe: () => void this.subscribers.delete(subscriber) };
	}

	/** Resolves once every row announced so far has been delivered (tests, shutdown). */
	async settled(): Promise<void> {
		while (this.running) await this.running;
	}

	stop(): void {
		this.stopWaking?.();
		this.stopWaking = null;
		this.subscribers.clear();
	}

	private init(): Promise<void> {
		this.initialized ??= this.source.maxId().then(
			(id) => {
				this.highWater = id;
			},
			(err) => {
				this.initialized = null; // try again on the next subscribe
				throw err;
			}
		);
		return this.initialized;
	}

	private wake(): void {
		this.pending = true;
		if (this.running) return;
		this.running = (async () => {
			try {
				// Rows committed in the same turn of the event loop (concurrent uploads) are read
				// and handed out together, so each listener's socket gets them in one write.
				await new Promise((resolve) => setImmediate(resolve));
				await this.drain();
			} finally {
				this.running = null;
				if (this.pending) this.wake(); // woken between the last read and here
			}
		})();
	}

	private async drain(): Promise<void> {
		while (this.pending) {
			this.pending = false;
			try {
				await this.init();
				// Nobody listening: only the mark moves (one max() instead of reading and building
				// rows for no one). A subscriber who joined meanwhile got the old mark as its seam,
				// so then the rows are read as usual.
				if (this.subscribers.size === 0) {
					const top = await this.source.maxId();
					if (this.subscribers.size === 0) {
						this.highWater = Math.max(this.highWater, top);
						continue;
					}
				}
				const rows = await this.source.after(this.highWater, BATCH);
				for (const row of rows) {
					this.highWater = this.source.idOf(row);
					for (const subscriber of [...this.subscribers]) {
						try {
							subscriber(row);
						} catch (err) {
							console.error('live feed subscriber failed:', err);
						}
					}
				}
				if (rows.length === BATCH) this.pending = true;
			} catch (err) {
				// Retried on the next wake; the mark only moves past rows that were delivered.
				console.error('live feed read failed:', err);
			}
		}
	}
}

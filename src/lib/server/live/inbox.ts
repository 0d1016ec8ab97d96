/**
 * A subscriber's own buffer between a synchronous producer (the feed) and an async consumer
 * (the subscription's generator), so the producer never waits for any one consumer.
 */
export class Inbox<T> {
	private items: T[] = [];
	private waiter: (() => void) | null = null;

	push(item: T): void {
		this.items.push(item);
		this.waiter?.();
	}

	/** Everything buffered, waiting for at least one item; null once `signal` aborts. */
	async take(signal?: AbortSignal): Promise<T[] | null> {
		while (!this.items.length) {
			if (signal?.aborted) return null;
			await new Promise<void>((resolve) => {
				const done = () => {
					this.waiter = null;
					signal?.removeEventListener('abort', done);
					resolve();
				};
				this.waiter = done;
				signal?.addEventListener('abort', done, { once: true });
			});
		}
		if (signal?.aborted) return null;
		const batch = this.items;
		this.items = [];
		return batch;
	}
}

/**
 * Collects the items queued under one key in the same turn of the event loop and hands them to
 * `flush` together, once, right after the turn (setImmediate): concurrent requests share one
 * write (core/db/shared-transaction.ts, core/event-batch.ts).
 */
export class TurnBatches<K, T> {
	private readonly waiting = new Map<K, T[]>();

	constructor(private readonly flush: (key: K, batch: T[]) => void) {}

	add(key: K, item: T): void {
		let batch = this.waiting.get(key);
		if (!batch) {
			const fresh: T[] = (batch = []);
			this.waiting.set(key, fresh);
			setImmediate(() => {
				this.waiting.delete(key);
				this.flush(key, fresh);
			});
		}
		batch.push(item);
	}
}

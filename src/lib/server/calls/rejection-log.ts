import { recordEvent, type EventLogDeps } from '../core/event-log';

/** One client's rejections in the current window. */
interface Bucket {
	start: number;
	/** Rejections after the first, not yet written. */
	more: number;
	last: Record<string, unknown>;
}

/**
 * The admin log's `upload.rejected` rows, aggregated: a client (IP + key) gets one row for its
 * first rejection with a given status in a window, written at once, and one more row when the window ends with the
 * `count` of the rejections after it (and the last one's details). A client hammering the
 * endpoint costs two rows a minute instead of one per request.
 */
export class RejectionLog {
	private buckets = new Map<string, Bucket>();

	constructor(
		private deps: EventLogDeps,
		private windowMs = 60_000,
		private maxClients = 10_000
	) {}

	async record(
		data: { status: number; ip: string; keyName?: string | null } & Record<string, unknown>
	) {
		const now = this.deps.clock.now();
		await this.flush(now);
		const id = `${data.status} ${data.ip}\n${data.keyName ?? ''}`;
		const bucket = this.buckets.get(id);
		if (bucket) {
			bucket.more++;
			bucket.last = data;
			return;
		}
		// Too many clients at once (spoofed or rotating addresses): the oldest window closes early.
		if (this.buckets.size >= this.maxClients) await this.flush(Infinity, 1);
		this.buckets.set(id, { start: now, more: 0, last: data });
		await recordEvent(this.deps, 'upload.rejected', { ...data, count: 1 });
	}

	/** Writes the windows that have ended by `now` (all of them with Infinity), oldest first. */
	async flush(now = this.deps.clock.now(), max = Infinity): Promise<void> {
		let written = 0;
		// Insertion order is start order: stop at the first window still open.
		for (const [id, bucket] of this.buckets) {
			if (now - bucket.start < this.windowMs || written >= max) break;
			this.buckets.delete(id);
			written++;
			if (bucket.more > 0)
				await recordEvent(this.deps, 'upload.rejected', {
					...bucket.last,
					count: bucket.more,
					since: bucket.start
				});
		}
	}

	/** Flushes ended windows every `windowMs`; returns the stop function (which writes the rest). */
	start(): () => Promise<void> {
		const timer = setInterval(() => void this.flush().catch(() => {}), this.windowMs);
		timer.unref();
		return async () => {
			clearInterval(timer);
			await this.flush(Infinity);
		};
	}
}

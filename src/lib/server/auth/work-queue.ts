import { ServiceError } from '../core/errors';

/**
 * Runs at most `concurrency` tasks at once and lets at most `maxWaiting` more wait for a slot;
 * past that it refuses at once with TOO_MANY_REQUESTS instead of piling work up.
 */
export class WorkQueue {
	private running = 0;
	private waiting: Array<() => void> = [];
	/** The most tasks ever running at once (tests and stats read it). */
	peak = 0;
	/** Tasks refused because the waiting line was full. */
	refused = 0;

	constructor(
		private limits: { concurrency: number; maxWaiting: number },
		private busyMessage = 'the server is busy; try again in a few seconds'
	) {}

	get pending(): number {
		return this.running + this.waiting.length;
	}

	async run<T>(task: () => Promise<T>): Promise<T> {
		await this.acquire();
		try {
			return await task();
		} finally {
			this.release();
		}
	}

	private acquire(): Promise<void> | void {
		if (this.running < this.limits.concurrency) {
			this.running++;
			this.peak = Math.max(this.peak, this.running);
			return;
		}
		if (this.waiting.length >= this.limits.maxWaiting) {
			this.refused++;
			throw new ServiceError('TOO_MANY_REQUESTS', this.busyMessage, 2);
		}
		return new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	/** A finished task hands its slot straight to the next in line. */
	private release(): void {
		const next = this.waiting.shift();
		if (next) next();
		else this.running--;
	}
}

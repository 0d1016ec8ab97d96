/** Services take a clock so tests can cover hours of token life in milliseconds. */
export interface Clock {
	/** Epoch milliseconds. */
	now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
	constructor(private ms = Date.UTC(2026, 0, 1)) {}
	now() {
		return this.ms;
	}
	advance(ms: number) {
		this.ms += ms;
	}
	set(ms: number) {
		this.ms = ms;
	}
}

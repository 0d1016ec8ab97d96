import { readFileSync } from 'node:fs';

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

/**
 * Tests against a real server: the time is the epoch ms written in a file, read at start and
 * again on SIGUSR2. After each re-read the listeners run (the broadcast-delay scheduler) and then
 * `Squelch: clock at <ms>` is printed, so a test knows the server has acted on the new time.
 */
export class FileClock implements Clock {
	private ms: number;
	private listeners = new Set<() => Promise<void> | void>();

	constructor(private file: string) {
		this.ms = this.read();
	}

	now() {
		return this.ms;
	}

	onChange(listener: () => Promise<void> | void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Installs the SIGUSR2 handler; returns its removal. */
	listen(): () => void {
		const handler = () => void this.reload();
		process.on('SIGUSR2', handler);
		return () => process.off('SIGUSR2', handler);
	}

	async reload(): Promise<void> {
		this.ms = this.read();
		for (const listener of [...this.listeners]) {
			try {
				await listener();
			} catch (err) {
				console.error('Squelch: clock listener failed:', err);
			}
		}
		console.log(`Squelch: clock at ${this.ms}`);
	}

	private read(): number {
		const text = readFileSync(this.file, 'utf8').trim();
		if (!/^\d{1,16}$/.test(text)) throw new Error(`${this.file}: expected epoch milliseconds`);
		return Number(text);
	}
}

/** A clock that can say when it jumps (FileClock); the system clock never does. */
export function onClockChange(clock: Clock, listener: () => Promise<void> | void): () => void {
	return clock instanceof FileClock ? clock.onChange(listener) : () => {};
}

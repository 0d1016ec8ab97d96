import type { Clock } from '../core/clock';

/**
 * Login throttle: failures are counted per client IP and per username in a sliding window.
 * Past the allowance each further attempt waits an exponentially growing delay (capped), so a
 * user who mistypes a few times is never locked out for long, while guessing gets slow fast.
 */
export interface ThrottleRule {
	/** Failures allowed inside the window before delays start. */
	free: number;
	windowMs: number;
	maxDelayMs: number;
}

export const USERNAME_RULE: ThrottleRule = {
	free: 5,
	windowMs: 15 * 60_000,
	maxDelayMs: 15 * 60_000
};
export const IP_RULE: ThrottleRule = { free: 20, windowMs: 15 * 60_000, maxDelayMs: 15 * 60_000 };

interface Entry {
	failures: number[];
}

export class Throttle {
	private entries = new Map<string, Entry>();

	constructor(
		private clock: Clock,
		private rule: ThrottleRule
	) {}

	/** Milliseconds the key must still wait before another attempt, 0 when it may try now. */
	waitMs(key: string): number {
		const entry = this.prune(key);
		if (!entry || entry.failures.length < this.rule.free) return 0;
		const over = entry.failures.length - this.rule.free;
		const delay = Math.min(this.rule.maxDelayMs, 1000 * 2 ** over);
		const last = entry.failures[entry.failures.length - 1];
		return Math.max(0, last + delay - this.clock.now());
	}

	fail(key: string): void {
		const entry = this.prune(key) ?? { failures: [] };
		entry.failures.push(this.clock.now());
		this.entries.set(key, entry);
		if (this.entries.size > 50_000) this.sweep();
	}

	reset(key: string): void {
		this.entries.delete(key);
	}

	private prune(key: string): Entry | undefined {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		const since = this.clock.now() - this.rule.windowMs;
		while (entry.failures.length && entry.failures[0] < since) entry.failures.shift();
		if (!entry.failures.length) {
			this.entries.delete(key);
			return undefined;
		}
		return entry;
	}

	private sweep(): void {
		for (const key of [...this.entries.keys()]) this.prune(key);
	}
}

export class LoginThrottle {
	readonly byIp: Throttle;
	readonly byUsername: Throttle;

	constructor(clock: Clock) {
		this.byIp = new Throttle(clock, IP_RULE);
		this.byUsername = new Throttle(clock, USERNAME_RULE);
	}

	/** Seconds to wait (rounded up), or 0. */
	retryAfterSec(ip: string, username: string): number {
		const ms = Math.max(this.byIp.waitMs(ip), this.byUsername.waitMs(username.toLowerCase()));
		return Math.ceil(ms / 1000);
	}

	failed(ip: string, username: string): void {
		this.byIp.fail(ip);
		this.byUsername.fail(username.toLowerCase());
	}

	succeeded(username: string): void {
		this.byUsername.reset(username.toLowerCase());
	}
}

import type { Clock } from '../core/clock';

/**
 * Login throttle: attempts are counted per client IP and per username in a sliding window.
 * Past the allowance each further attempt waits an exponentially growing delay (capped), so a
 * user who mistypes a few times is never locked out for long, while guessing gets slow fast.
 */
export interface ThrottleRule {
	/** Failures allowed inside the window before delays start. */
	free: number;
	windowMs: number;
	maxDelayMs: number;
}

const WINDOW_MS = 15 * 60_000;

/** Attempts allowed per username and per client IP in the window (SQUELCH_LOGIN_*_ATTEMPTS). */
export interface ThrottleLimits {
	perUsername: number;
	perIp: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perUsername: 5, perIp: 20 };

const rule = (free: number): ThrottleRule => ({ free, windowMs: WINDOW_MS, maxDelayMs: WINDOW_MS });

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

	/** Counts a failure now; returns its timestamp, so it can be forgiven. */
	fail(key: string): number {
		const at = this.clock.now();
		const entry = this.prune(key) ?? { failures: [] };
		entry.failures.push(at);
		this.entries.set(key, entry);
		if (this.entries.size > 50_000) this.sweep();
		return at;
	}

	/** Takes back one failure counted at `at` (an attempt that turned out fine or never ran). */
	forgive(key: string, at: number): void {
		const entry = this.entries.get(key);
		const index = entry ? entry.failures.lastIndexOf(at) : -1;
		if (index >= 0) entry!.failures.splice(index, 1);
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

/** A reserved sign-in attempt: it counts as a failure unless it is reported otherwise. */
export interface LoginAttempt {
	/** The password was right: clears the username's count and gives back the IP's slot. */
	succeeded(): void;
	/** The password was never checked (the server was busy): gives back both slots. */
	abandoned(): void;
}

export class LoginThrottle {
	readonly byIp: Throttle;
	readonly byUsername: Throttle;

	constructor(clock: Clock, limits: ThrottleLimits = DEFAULT_LIMITS) {
		this.byIp = new Throttle(clock, rule(limits.perIp));
		this.byUsername = new Throttle(clock, rule(limits.perUsername));
	}

	/**
	 * Decides and counts in one synchronous step, before the (asynchronous) password check, so
	 * parallel attempts cannot all read the same count: each one is a failure until it succeeds.
	 * Returns the attempt, or the seconds to wait (rounded up) when it may not try now.
	 */
	reserve(ip: string, username: string): LoginAttempt | { retryAfterSec: number } {
		const name = username.toLowerCase();
		const wait = Math.max(this.byIp.waitMs(ip), this.byUsername.waitMs(name));
		if (wait > 0) return { retryAfterSec: Math.ceil(wait / 1000) };
		const ipAt = this.byIp.fail(ip);
		const nameAt = this.byUsername.fail(name);
		return {
			succeeded: () => {
				this.byIp.forgive(ip, ipAt);
				this.byUsername.reset(name);
			},
			abandoned: () => {
				this.byIp.forgive(ip, ipAt);
				this.byUsername.forgive(name, nameAt);
			}
		};
	}
}

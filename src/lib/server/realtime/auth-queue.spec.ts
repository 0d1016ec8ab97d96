import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthQueue, type AuthWaiter } from './auth-queue';

afterEach(() => vi.useRealTimers());

function waiter(log: string[], name: string): AuthWaiter {
	return { authDue: 0, expire: () => log.push(name) };
}

describe('AuthQueue', () => {
	it('expires waiters when due, in time order, skipping disarmed and re-armed ones', () => {
		vi.useFakeTimers();
		let now = 0;
		const queue = new AuthQueue(() => now);
		const log: string[] = [];
		const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => waiter(log, n));
		queue.arm(a, 100);
		queue.arm(b, 100);
		queue.arm(c, 150);
		b.authDue = 0; // disarmed (signed in)
		queue.arm(c, 400); // re-armed later: its first entry is stale
		queue.arm(d, 120); // a shorter timeout than the last entry: kept in order
		now = 99;
		vi.advanceTimersByTime(99);
		expect(log).toEqual([]);
		now = 150;
		vi.advanceTimersByTime(51);
		expect(log).toEqual(['a', 'd']);
		now = 400;
		vi.advanceTimersByTime(250);
		expect(log).toEqual(['a', 'd', 'c']);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('runs nothing after stop', () => {
		vi.useFakeTimers();
		const queue = new AuthQueue(() => 0);
		const log: string[] = [];
		queue.arm(waiter(log, 'a'), 10);
		queue.stop();
		vi.advanceTimersByTime(100);
		expect(log).toEqual([]);
		expect(vi.getTimerCount()).toBe(0);
	});
});

import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
	it('retries first within 250 ms, then backs off exponentially with jitter, capped at 30 s', () => {
		expect(retryDelayMs(0, () => 0)).toBe(0);
		expect(retryDelayMs(0, () => 0.999)).toBeLessThan(250);
		expect([retryDelayMs(1, () => 0), retryDelayMs(1, () => 0.999)]).toEqual([1_000, 1_999]);
		expect([retryDelayMs(3, () => 0), retryDelayMs(3, () => 0.999)]).toEqual([4_000, 7_996]);
		expect([retryDelayMs(10, () => 0), retryDelayMs(10, () => 0.999)]).toEqual([15_000, 29_985]);
	});

	it('spreads clients out: different random draws give different delays', () => {
		const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(4)));
		expect(delays.size).toBeGreaterThan(10);
	});
});

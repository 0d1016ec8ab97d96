import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { UploadRateLimiter } from './rate-limit';

describe('UploadRateLimiter', () => {
	it('allows a burst up to the limit, then refills at limit/60 per second, per key', () => {
		const clock = new ManualClock();
		const limiter = new UploadRateLimiter(clock);
		for (let i = 0; i < 6; i++) expect(limiter.take(1, 6)).toBe(true);
		expect(limiter.take(1, 6)).toBe(false);
		expect(limiter.retryAfterSec(1, 6)).toBe(10);
		expect(limiter.take(2, 6)).toBe(true); // another key has its own bucket
		clock.advance(9_000);
		expect(limiter.take(1, 6)).toBe(false);
		clock.advance(1_000);
		expect(limiter.take(1, 6)).toBe(true);
		expect(limiter.take(1, 6)).toBe(false);
		clock.advance(60_000);
		for (let i = 0; i < 6; i++) expect(limiter.take(1, 6)).toBe(true);
		expect(limiter.take(1, 6)).toBe(false);
	});
});

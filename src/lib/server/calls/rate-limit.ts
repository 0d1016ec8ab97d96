import type { Clock } from '../core/clock';

/**
 * Uploads per minute per API key, as a token bucket: a key may burst up to its per-minute limit,
 * then gets limit/60 uploads a second. In memory (per process): a restart forgives everyone.
 */
export class UploadRateLimiter {
	private buckets = new Map<number, { tokens: number; at: number }>();

	constructor(private clock: Clock) {}

	/** Takes one upload from the key's bucket; false when the key is over its limit. */
	take(keyId: number, perMinute: number): boolean {
		const now = this.clock.now();
		const bucket = this.buckets.get(keyId) ?? { tokens: perMinute, at: now };
		const refilled = Math.min(perMinute, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
		if (refilled < 1) {
			this.buckets.set(keyId, { tokens: refilled, at: now });
			return false;
		}
		this.buckets.set(keyId, { tokens: refilled - 1, at: now });
		return true;
	}

	/** Seconds until the key may upload again. */
	retryAfterSec(keyId: number, perMinute: number): number {
		const bucket = this.buckets.get(keyId);
		if (!bucket || bucket.tokens >= 1) return 0;
		return Math.ceil(((1 - bucket.tokens) * 60) / perMinute);
	}
}

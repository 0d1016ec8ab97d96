import { hash, verify } from '@node-rs/argon2';
import { config } from '../core/config';
import { WorkQueue } from './work-queue';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

// argon2id (the package's default algorithm) with OWASP's 19 MiB / 2 passes baseline.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let queue: WorkQueue | undefined;

/**
 * argon2 runs on libuv's thread pool, which file reads (audio) share. Every hash and verify in
 * the process goes through this one queue, so a flood of sign-ins holds at most
 * SQUELCH_HASH_CONCURRENCY threads and waits in a bounded line instead of starving audio.
 */
export function passwordQueue(): WorkQueue {
	const { hashConcurrency, hashQueue } = config();
	queue ??= new WorkQueue(
		{ concurrency: hashConcurrency, maxWaiting: hashQueue },
		'the server is busy checking passwords; try again in a few seconds'
	);
	return queue;
}

export function hashPassword(password: string): Promise<string> {
	return passwordQueue().run(() => hash(password, OPTIONS));
}

/** Whether the password matches; a busy queue rejects with ServiceError TOO_MANY_REQUESTS. */
export function verifyPassword(stored: string, password: string): Promise<boolean> {
	return passwordQueue().run(() => verify(stored, password).catch(() => false));
}

let dummy: Promise<string> | undefined;

/** Spend as long as a real check, so an unknown username cannot be told apart by timing. */
export async function burnPasswordCheck(password: string): Promise<void> {
	// Made once, outside the queue, so a refusal is never cached.
	dummy ??= hash('squelch-timing-equaliser', OPTIONS);
	await verifyPassword(await dummy, password);
}

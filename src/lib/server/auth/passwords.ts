import { hash, verify } from '@node-rs/argon2';
import { WorkQueue } from './work-queue';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

// argon2id (the package's default algorithm) with OWASP's 19 MiB / 2 passes baseline.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Password hashing for one process (app.ts builds it). argon2 runs on libuv's thread pool, which
 * file reads (audio) share: every hash and verify goes through this object's one queue, so a
 * flood of sign-ins holds at most SQUELCH_HASH_CONCURRENCY threads and waits in a bounded line
 * instead of starving audio.
 */
export class Passwords {
	readonly queue: WorkQueue;
	private dummy: Promise<string> | undefined;

	constructor(limits: { concurrency: number; maxWaiting: number }) {
		this.queue = new WorkQueue(
			limits,
			'the server is busy checking passwords; try again in a few seconds'
		);
	}

	hash(password: string): Promise<string> {
		return this.queue.run(() => hash(password, OPTIONS));
	}

	/** Whether the password matches; a busy queue rejects with ServiceError TOO_MANY_REQUESTS. */
	verify(stored: string, password: string): Promise<boolean> {
		return this.queue.run(() => verify(stored, password).catch(() => false));
	}

	/** Spend as long as a real check, so an unknown username cannot be told apart by timing. */
	async burn(password: string): Promise<void> {
		// Made once, outside the queue, so a refusal is never cached.
		this.dummy ??= hash('squelch-timing-equaliser', OPTIONS);
		await this.verify(await this.dummy, password);
	}
}

/** What services that hash or check passwords are handed. */
export interface PasswordDeps {
	passwords: Passwords;
}

import { sql } from 'kysely';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';

/**
 * Login throttle: attempts are counted per client IP and per username in a 15-minute window.
 * Past the allowance each further attempt waits a doubling delay (capped at the window), so a
 * user who mistypes a few times is never locked out for long, while guessing gets slow fast.
 *
 * The counters live in the database (`login_attempts`), so every instance on one PostgreSQL
 * enforces one allowance: an attempt is one conditional upsert that counts it only if it may run.
 */
const WINDOW_MS = 15 * 60_000;
const FIRST_DELAY_MS = 1000;
/** Expired rows are swept after this many reservations by this process. */
const SWEEP_EVERY = 1000;

/** Attempts allowed per username and per client IP in the window (SQUELCH_LOGIN_*_ATTEMPTS). */
export interface ThrottleLimits {
	perUsername: number;
	perIp: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perUsername: 5, perIp: 20 };

/** A reserved sign-in attempt: it counts as a failure unless it is reported otherwise. */
export interface LoginAttempt {
	/** The password was right: clears the username's count and gives back the IP's slot. */
	succeeded(): Promise<void>;
	/** The password was never checked (the server was busy): gives back both slots. */
	abandoned(): Promise<void>;
}

class Refused extends Error {
	constructor(readonly key: string) {
		super('throttled');
	}
}

export class LoginThrottle {
	private reservations = 0;

	constructor(
		private deps: { db: DB; clock: Clock },
		private limits: ThrottleLimits = DEFAULT_LIMITS
	) {}

	/**
	 * Decides and counts in one statement per key, before the (asynchronous) password check, so
	 * parallel attempts on any instance cannot all read the same count: each one is a failure
	 * until it succeeds. Both keys are counted in one transaction (IP first, always: no deadlock),
	 * rolled back when either refuses. Returns the attempt, or the seconds to wait (rounded up).
	 */
	async reserve(ip: string, username: string): Promise<LoginAttempt | { retryAfterSec: number }> {
		const ipKey = `ip:${ip}`.slice(0, 200);
		const userKey = `user:${username.toLowerCase()}`.slice(0, 200);
		const now = this.deps.clock.now();
		if (++this.reservations % SWEEP_EVERY === 0) await this.sweep(now);
		try {
			await this.deps.db.transaction().execute(async (trx) => {
				if (!(await count(trx, ipKey, this.limits.perIp, now))) throw new Refused(ipKey);
				if (!(await count(trx, userKey, this.limits.perUsername, now))) throw new Refused(userKey);
			});
		} catch (err) {
			if (!(err instanceof Refused)) throw err;
			return { retryAfterSec: await this.retryAfterSec(err.key, now) };
		}
		return {
			succeeded: async () => {
				await this.forgive(ipKey);
				await this.deps.db.deleteFrom('login_attempts').where('key', '=', userKey).execute();
			},
			abandoned: async () => {
				await this.forgive(ipKey);
				await this.forgive(userKey);
			}
		};
	}

	/** Takes back one counted attempt (and halves the delay it added). */
	private async forgive(key: string): Promise<void> {
		await this.deps.db
			.updateTable('login_attempts')
			.set({
				failures: sql`failures - 1`,
				delay_ms: sql`case when delay_ms <= ${FIRST_DELAY_MS} then 0 else delay_ms / 2 end`
			})
			.where('key', '=', key)
			.where('failures', '>', 0)
			.execute();
	}

	private async retryAfterSec(key: string, now: number): Promise<number> {
		const row = await this.deps.db
			.selectFrom('login_attempts')
			.select(['last_at', 'delay_ms'])
			.where('key', '=', key)
			.executeTakeFirst();
		const wait = row ? Number(row.last_at) + Number(row.delay_ms) - now : 0;
		return Math.max(1, Math.ceil(wait / 1000));
	}

	private async sweep(now: number): Promise<void> {
		await this.deps.db
			.deleteFrom('login_attempts')
			.where('window_start', '<=', now - WINDOW_MS)
			.execute();
	}
}

/**
 * Counts one attempt on `key` if it may run now; false (nothing written) when it must wait.
 * The row lock of the upsert serializes concurrent attempts on PostgreSQL; the WHERE is checked
 * against the row as it is after any attempt that committed first.
 */
async function count(db: DB, key: string, free: number, now: number): Promise<boolean> {
	const max = WINDOW_MS;
	const expired = sql<boolean>`login_attempts.window_start <= ${now - WINDOW_MS}`;
	// The delay after this attempt: none under the allowance, then 1 s, doubling, capped.
	const nextDelay = sql<number>`case
		when ${expired} then ${free <= 1 ? FIRST_DELAY_MS : 0}
		when login_attempts.failures + 1 < ${free} then 0
		when login_attempts.delay_ms = 0 then ${FIRST_DELAY_MS}
		when login_attempts.delay_ms * 2 > ${max} then ${max}
		else login_attempts.delay_ms * 2 end`;
	const row = await db
		.insertInto('login_attempts')
		.values({
			key,
			failures: 1,
			window_start: now,
			last_at: now,
			delay_ms: free <= 1 ? FIRST_DELAY_MS : 0
		})
		.onConflict((oc) =>
			oc
				.column('key')
				.doUpdateSet({
					failures: sql`case when ${expired} then 1 else login_attempts.failures + 1 end`,
					window_start: sql`case when ${expired} then ${now} else login_attempts.window_start end`,
					last_at: now,
					delay_ms: nextDelay
				})
				.where(
					sql<boolean>`${expired} or login_attempts.failures < ${free} or login_attempts.last_at + login_attempts.delay_ms <= ${now}`
				)
		)
		.returning('failures')
		.executeTakeFirst();
	return row !== undefined;
}

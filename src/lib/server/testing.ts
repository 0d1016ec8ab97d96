import { randomBytes } from 'node:crypto';
import { parseConfig, type Config } from './core/config';
import { ManualClock } from './core/clock';
import { createTestDb } from './core/db';
import { InProcessBus } from './core/bus';
import { LoginThrottle } from './auth/throttle';
import { Presence } from './live/presence';
import { createLiveFeeds } from './live/feeds';
import { UploadRateLimiter } from './calls/rate-limit';
import type { Services } from './trpc/context';

/** Services on an in-memory SQLite and a manual clock, for unit specs. */
export async function testServices(
	env: Record<string, string> = {}
): Promise<Services & { clock: ManualClock; config: Config }> {
	const clock = new ManualClock();
	const db = await createTestDb();
	const bus = new InProcessBus();
	return {
		config: parseConfig({ DATA_DIR: '/tmp/squelch-unit', ...env }),
		db,
		clock,
		bus,
		feeds: createLiveFeeds({ db, bus }),
		uploadLimiter: new UploadRateLimiter(clock),
		keys: { jwt: new Uint8Array(randomBytes(32)), refresh: randomBytes(32) },
		throttle: new LoginThrottle(clock),
		presence: new Presence(),
		startedAt: clock.now(),
		onShutdown: []
	};
}

/** The `code` a service refusal (ServiceError) carries; fails if the promise does not reject. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (err) {
		return (err as { code?: string }).code ?? String(err);
	}
	throw new Error('expected a refusal');
}

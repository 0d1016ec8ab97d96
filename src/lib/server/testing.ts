import { randomBytes } from 'node:crypto';
import { parseConfig, type Config } from './core/config';
import { ManualClock } from './core/clock';
import { createTestDb } from './core/db';
import { InProcessBus } from './core/bus';
import { LoginThrottle } from './auth/throttle';
import { Presence } from './live/presence';
import { AudioPipeline } from './calls/audio-pipeline/worker';
import type { Services } from './app';

/** Services on an in-memory SQLite and a manual clock, for unit specs. */
export async function testServices(
	env: Record<string, string> = {}
): Promise<Services & { clock: ManualClock; config: Config }> {
	const clock = new ManualClock();
	const config = parseConfig({ DATA_DIR: '/tmp/squelch-unit', ...env });
	const db = await createTestDb();
	const bus = new InProcessBus();
	return {
		config,
		db,
		clock,
		bus,
		pipeline: new AudioPipeline({ db, clock, bus, config }, null),
		keys: { jwt: new Uint8Array(randomBytes(32)), refresh: randomBytes(32) },
		throttle: new LoginThrottle(clock, config.loginAttempts),
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

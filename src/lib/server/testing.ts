import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, type Config } from './core/config';
import { ManualClock } from './core/clock';
import { createTestDb } from './core/db';
import { InProcessBus, type BusTopics, type Topic } from './core/bus';
import { LoginThrottle } from './auth/throttle';
import { VerifiedTokens } from './auth/access-token';
import { audioFiles } from './calls/audio-files';
import { BusView } from './core/bus-view';
import { Presence } from './live/presence';
import { AudioPipeline } from './calls/audio-pipeline/worker';
import { createLiveFeeds } from './live/feeds';
import { UploadRateLimiter } from './calls/rate-limit';
import { RejectionLog } from './calls/rejection-log';
import { incomingDir } from './calls/storage';
import { Passwords } from './auth/passwords';
import { IncidentStitcher } from './share/stitch';
import type { Services } from './trpc/context';
import type { Role } from './core/db/types';
import { insertUser } from './auth/accounts';
import { signAccessToken } from './auth/access-token';
import { createSession } from './auth/sessions';

/** A bus that also remembers what was published, for assertions. */
export class RecordingBus extends InProcessBus {
	readonly published: Array<{ topic: Topic; payload: BusTopics[Topic] }> = [];

	publish<T extends Topic>(topic: T, payload: BusTopics[T]): void {
		this.published.push({ topic, payload });
		super.publish(topic, payload);
	}
}

export type TestServices = Services & {
	clock: ManualClock;
	config: Config;
	bus: RecordingBus;
	published: RecordingBus['published'];
};

/**
 * The one services builder for unit specs: in-memory SQLite, a manual clock (at `now`), a bus that
 * records, and a fresh temporary DATA_DIR unless `env` names one. `env` is parsed as at start-up.
 */
export async function testServices(
	env: Record<string, string> = {},
	opts: { now?: number } = {}
): Promise<TestServices> {
	const clock = new ManualClock(opts.now);
	const db = await createTestDb();
	const bus = new RecordingBus();
	const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-unit-'));
	const config = parseConfig({ ...env, DATA_DIR: dataDir });
	fs.mkdirSync(incomingDir(config.recordingsDir), { recursive: true });
	return {
		config,
		db,
		clock,
		bus,
		pipeline: new AudioPipeline({ db, clock, bus, config, instanceId: 'test' }, null),
		published: bus.published,
		keys: { jwt: new Uint8Array(randomBytes(32)), refresh: randomBytes(32) },
		throttle: new LoginThrottle({ db, clock }, config.loginAttempts),
		verifiedTokens: new VerifiedTokens(),
		audioFiles: audioFiles(clock, config),
		sessionView: new BusView(clock, config.audioAuthMaxAgeMs, bus, true),
		scopeView: new BusView(clock, config.audioAuthMaxAgeMs, bus),
		hearingView: new BusView(clock, config.audioAuthMaxAgeMs, bus),
		presence: new Presence(),
		feeds: createLiveFeeds({ db, bus }),
		uploadLimiter: new UploadRateLimiter(clock),
		rejectionLog: new RejectionLog({ db, clock, bus }),
		passwords: new Passwords({ concurrency: config.hashConcurrency, maxWaiting: config.hashQueue }),
		stitcher: new IncidentStitcher({
			ffmpegPath: config.ffmpegPath,
			timeoutSec: config.stitchTimeoutSec,
			maxRunning: 1
		}),
		startedAt: clock.now(),
		instanceId: 'test',
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

/**
 * Fresh services with a signed-in viewer: user `ann` with this role, one session (a device) and
 * a valid access token of it, access tokens living `accessTtlSec`.
 */
export async function signedInViewer(opts: {
	role: Role;
	accessTtlSec: number;
}): Promise<{ svc: TestServices; userId: number; sessionId: string; token: string }> {
	const svc = await testServices({ SQUELCH_ACCESS_TTL: String(opts.accessTtlSec) });
	const userId = await insertUser(svc, {
		username: 'ann',
		password: 'password-ann',
		role: opts.role
	});
	const { session } = await createSession(svc, userId, {
		userAgent: 'test',
		ip: '10.0.0.1',
		rememberMe: false
	});
	const { token } = await signAccessToken(svc, {
		userId,
		username: 'ann',
		role: opts.role,
		sessionId: session.id
	});
	return { svc, userId, sessionId: session.id, token };
}

/** A promise the spec resolves when it chooses: to hold work at a point (a hook) and let it go. */
export function opened(): { open: () => void; promise: Promise<void> } {
	let open!: () => void;
	const promise = new Promise<void>((resolve) => (open = resolve));
	return { open, promise };
}

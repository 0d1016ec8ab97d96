import path from 'node:path';
import fs from 'node:fs';
import { config, type Config } from './core/config';
import { FileClock, systemClock, type Clock } from './core/clock';
import { createDb, migrateToLatest, type DB } from './core/db';
import { InProcessBus, type Bus } from './core/bus';
import { loadAuthKeys, type AuthKeys } from './auth/secrets';
import { LoginThrottle } from './auth/throttle';
import { Presence } from './live/presence';
import { AudioPipeline } from './calls/audio-pipeline/worker';
import { findFfmpeg } from './calls/audio-pipeline/ffmpeg';

/** Everything a service may need, built once per process. Tests build their own. */
export interface Services {
	config: Config;
	db: DB;
	clock: Clock;
	bus: Bus;
	keys: AuthKeys;
	throttle: LoginThrottle;
	presence: Presence;
	/** The audio pipeline's queue (FFmpeg null: audio is stored as received). */
	pipeline: AudioPipeline;
	startedAt: number;
	/** Hooks run on shutdown (timers, sockets), in registration order. */
	onShutdown: Array<() => Promise<void> | void>;
}

export async function buildServices(
	cfg: Config,
	clock: Clock = systemClock,
	dbFile?: string
): Promise<Services> {
	fs.mkdirSync(path.join(cfg.dataDir, 'recordings'), { recursive: true });
	const db = createDb(dbFile ?? path.join(cfg.dataDir, 'squelch.db'));
	await migrateToLatest(db);
	const bus = new InProcessBus();
	return {
		config: cfg,
		db,
		clock,
		bus,
		keys: await loadAuthKeys(db, clock),
		throttle: new LoginThrottle(clock, cfg.loginAttempts),
		presence: new Presence(),
		pipeline: new AudioPipeline({ db, clock, bus, config: cfg }, await findFfmpeg(cfg.ffmpegPath)),
		startedAt: clock.now(),
		onShutdown: []
	};
}

// Kept on globalThis so the HTTP app and the WebSocket server (loaded separately in dev) share one.
const KEY = Symbol.for('squelch.services');
type Holder = { [KEY]?: Promise<Services> };

export function services(): Promise<Services> {
	const holder = globalThis as Holder;
	if (!holder[KEY]) {
		const cfg = config();
		holder[KEY] = buildServices(
			cfg,
			cfg.testClockFile ? new FileClock(cfg.testClockFile) : systemClock
		);
	}
	return holder[KEY];
}

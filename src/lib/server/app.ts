import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { config, type Config } from './core/config';
import { FileClock, systemClock, type Clock } from './core/clock';
import { migrateToLatest, openDatabase, type DB } from './core/db';
import { InProcessBus } from './core/bus';
import { PgBus } from './core/pg-bus';
import { loadAuthKeys } from './auth/secrets';
import { Passwords } from './auth/passwords';
import { IncidentStitcher } from './share/stitch';
import { VerifiedTokens } from './auth/access-token';
import { audioFiles } from './calls/audio-files';
import { BusView } from './core/bus-view';
import { LoginThrottle } from './auth/throttle';
import { UploadRateLimiter } from './calls/rate-limit';
import { RejectionLog } from './calls/rejection-log';
import { startCalls } from './calls/lifecycle';
import { Presence } from './live/presence';
import { PresenceSync } from './live/presence-sync';
import { AudioPipeline } from './calls/audio-pipeline/worker';
import { findFfmpeg } from './calls/audio-pipeline/ffmpeg';
import { startForwarding } from './forward/worker';
import { releaseStaleClaims } from './core/claims';
import { releaseClaimsEvery } from './calls/lifecycle';
import { startAlerts } from './alerts/lifecycle';
import { startTranscripts } from './transcripts/worker';
import { createLiveFeeds } from './live/feeds';
import { logPresenceChanges } from './live/presence-log';
import { appRouter } from './trpc/root';
import { liveDirectStarts } from './trpc/routers/live';
import { createWsContext, type Services } from './trpc/context';
import { attachWebSockets, type WebSocketHandle, type WebSocketOptions } from './realtime/ws';
import { serveHttp, type HttpServerHandle } from './http/server';

/**
 * The composition root: every per-process object is built here, once, and each service is handed
 * only the inputs it declares. Nothing below this file imports it (architecture.spec.ts).
 */
export type { Services };

/** Incident joins at once: each is a whole FFmpeg encode on a small server. */
const STITCHES_AT_ONCE = 1;

/**
 * The per-process objects over a migrated database (the configured one, unless a test hands its
 * own); no background work starts here.
 */
export async function buildServices(
	cfg: Config,
	clock: Clock = systemClock,
	database?: DB
): Promise<Services> {
	fs.mkdirSync(cfg.recordingsDir, { recursive: true });
	const db = database ?? openDatabase(cfg);
	await migrateToLatest(db);
	const instanceId = randomUUID();
	const bus = cfg.databaseUrl
		? new PgBus({ connectionString: cfg.databaseUrl, instanceId })
		: new InProcessBus();
	if (bus instanceof PgBus) await bus.started();
	return {
		config: cfg,
		db,
		clock,
		bus,
		keys: await loadAuthKeys(db, clock),
		throttle: new LoginThrottle({ db, clock }, cfg.loginAttempts),
		verifiedTokens: new VerifiedTokens(),
		audioFiles: audioFiles(clock, cfg),
		sessionView: new BusView(clock, cfg.audioAuthMaxAgeMs, bus, true),
		scopeView: new BusView(clock, cfg.audioAuthMaxAgeMs, bus),
		hearingView: new BusView(clock, cfg.audioAuthMaxAgeMs, bus),
		presence: new Presence(),
		pipeline: new AudioPipeline(
			{ db, clock, bus, config: cfg, instanceId },
			await findFfmpeg(cfg.ffmpegPath)
		),
		feeds: createLiveFeeds({ db, bus }),
		uploadLimiter: new UploadRateLimiter(clock),
		rejectionLog: new RejectionLog({ db, clock, bus }),
		passwords: new Passwords({ concurrency: cfg.hashConcurrency, maxWaiting: cfg.hashQueue }),
		stitcher: new IncidentStitcher({
			ffmpegPath: cfg.ffmpegPath,
			timeoutSec: cfg.stitchTimeoutSec,
			maxRunning: STITCHES_AT_ONCE
		}),
		startedAt: clock.now(),
		instanceId,
		onShutdown: []
	};
}

/** What a caller may tune of the WebSocket server; the app supplies services, router and context. */
export type SocketOptions = Omit<
	WebSocketOptions,
	'services' | 'router' | 'createContext' | 'directStarts'
>;

export interface App {
	readonly services: Services;
	/** Serves tRPC over WebSocket on a server (Vite's in dev, a test's own); closed by stop(). */
	attachWebSockets(server: Server, opts?: SocketOptions): WebSocketHandle;
	/** `npm start`: our own http.Server in front of SvelteKit's handler (http/server.ts). */
	serve(kit: RequestListener): Promise<HttpServerHandle>;
	/** Every socket gets tRPC's reconnect notice, then is closed (also the first step of stop()). */
	closeWebSockets(): Promise<void>;
	/** Shutdown: WebSockets, background work, then the database. */
	stop(): Promise<void>;
}

/**
 * Builds the services and starts the background work: presence shared with other instances, interrupted uploads, retention, the audio
 * pipeline and broadcast delay, folder ingest, the presence log, the upload-rejection log's
 * flushes, downstream forwarding, transcription, alert decisions and Web Push.
 */
export async function createApp(cfg: Config, clock: Clock = systemClock): Promise<App> {
	const svc = await buildServices(cfg, clock);
	const presenceSync = new PresenceSync({ ...svc, ttlMs: cfg.presenceTtlMs });
	await presenceSync.start();
	// Before the workers start: work a crashed instance (or this one, last run) had claimed.
	const claimOpts = { shared: cfg.databaseUrl !== null, presenceTtlMs: cfg.presenceTtlMs };
	await releaseStaleClaims(svc.db, svc.clock, claimOpts);
	svc.onShutdown.push(
		() => presenceSync.stop(),
		await startCalls(svc),
		logPresenceChanges(svc),
		svc.rejectionLog.start(),
		startForwarding(svc),
		startTranscripts(svc),
		await startAlerts(svc)
	);
	// Shared database: another instance may die at any time; its claims go back once its
	// heartbeat is stale, rather than waiting out the whole lease.
	if (claimOpts.shared) svc.onShutdown.push(releaseClaimsEvery(svc, claimOpts));
	if (svc.clock instanceof FileClock) svc.onShutdown.push(svc.clock.listen());
	const sockets: WebSocketHandle[] = [];
	let stopped: Promise<void> | undefined;

	const app: App = {
		services: svc,
		attachWebSockets(server, opts = {}) {
			const handle = attachWebSockets(server, {
				...opts,
				services: svc,
				router: appRouter,
				directStarts: liveDirectStarts,
				createContext: (peer, params, socket) => createWsContext(svc, peer, params, socket)
			});
			sockets.push(handle);
			return handle;
		},
		serve: (kit) => serveHttp({ app, kit }),
		closeWebSockets: async () => {
			await Promise.all(sockets.map((s) => s.close()));
		},
		stop: () =>
			(stopped ??= (async () => {
				await app.closeWebSockets();
				for (const stop of svc.onShutdown) {
					try {
						await stop();
					} catch (err) {
						console.error(
							'Squelch: a shutdown step failed:',
							err instanceof Error ? err.message : err
						);
					}
				}
				await svc.bus.stop?.();
				await svc.db.destroy();
			})())
	};
	return app;
}

/*
 * The one registry on globalThis. SvelteKit's code (hooks, routes) and its host share the app
 * through it: in dev the host is the Vite plugin in vite.config.ts, which loads modules through
 * ssrLoadModule, and a hot reload re-evaluates this module (a module variable would build a second
 * database and bus); in production the host is scripts/start.js, which imports SvelteKit's
 * handler.js and then asks the app to serve it. Nothing else may live on globalThis.
 */
const KEY = Symbol.for('squelch.app');
type Holder = { [KEY]?: Promise<App> };

/** The process's app, built from the environment on first use (SvelteKit's `init` hook). */
export function currentApp(): Promise<App> {
	const holder = globalThis as Holder;
	if (!holder[KEY]) {
		const cfg = config();
		// Tests move a real server's clock through a file (SQUELCH_TEST_CLOCK_FILE, broadcast delay).
		holder[KEY] = createApp(
			cfg,
			cfg.testClockFile ? new FileClock(cfg.testClockFile) : systemClock
		);
	}
	return holder[KEY];
}

export async function services(): Promise<Services> {
	return (await currentApp()).services;
}

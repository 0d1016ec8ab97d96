import { sweepIncoming } from './storage';
import { startRetention, type RetentionDeps } from './retention';
import { startDelayScheduler } from './delay';
import { startFolderIngest, type FolderIngestDeps } from './folder-ingest';
import type { AudioPipeline } from './audio-pipeline/worker';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { releaseStaleClaims } from '../core/claims';

export type CallsLifecycleDeps = RetentionDeps &
	FolderIngestDeps & {
		bus: Bus;
		pipeline: AudioPipeline;
		config: {
			ffmpegPath: string | null;
			databaseUrl: string | null;
			requestTimeoutMs: number;
			incomingSweepAgeMs: number;
		};
	};

/** What the admin dashboard and the start-up log say when FFmpeg is missing. */
export function ffmpegNotice(deps: {
	pipeline: AudioPipeline;
	config: { ffmpegPath: string | null };
}): string | null {
	if (deps.pipeline.ffmpeg) return null;
	return deps.config.ffmpegPath === null
		? 'Audio pipeline off (FFMPEG_PATH=off): calls are stored as received.'
		: `FFmpeg not found (FFMPEG_PATH or "ffmpeg" on PATH): calls are stored as received, without loudness normalisation, silence trimming or re-encoding. Install it with "apt-get install ffmpeg".`;
}

/**
 * Finishes or discards what interrupted uploads left in RECORDINGS_DIR/.incoming. On SQLite this
 * process is the only writer: everything there is a leftover. On PostgreSQL the directory may be
 * shared: only files older than SQUELCH_INCOMING_SWEEP_AGE (and never younger than the longest
 * request, SQUELCH_REQUEST_TIMEOUT) are leftovers, and the sweep repeats at the request timeout,
 * so a crashed instance's files are cleared by the others.
 */
async function sweepInterrupted(deps: CallsLifecycleDeps): Promise<() => void> {
	const shared = deps.config.databaseUrl !== null;
	const sweep = async () => {
		// File times are wall-clock times: compared with the system clock, not the injectable one.
		const age = Math.max(deps.config.incomingSweepAgeMs, deps.config.requestTimeoutMs);
		const settledBefore = shared ? Date.now() - age : undefined;
		const swept = await sweepIncoming(deps.db, deps.config.recordingsDir, { settledBefore });
		if (swept.completed || swept.removed)
			console.log(
				`Squelch: recovered ${swept.completed} and discarded ${swept.removed} interrupted upload(s)`
			);
	};
	await sweep();
	if (!shared) return () => {};
	const timer = setInterval(
		() => void sweep().catch((err) => console.error('Squelch: incoming sweep failed:', err)),
		deps.config.requestTimeoutMs
	);
	timer.unref?.();
	return () => clearInterval(timer);
}

/**
 * Start-up work for calls: finish or discard uploads a crash interrupted, start the hourly
 * retention prune, the broadcast-delay scheduler, the audio pipeline (which picks up any encode a
 * crash interrupted) and folder ingest. Returns the function that stops them.
 */
export async function startCalls(deps: CallsLifecycleDeps): Promise<() => Promise<void>> {
	const stopSweeps = await sweepInterrupted(deps);
	const stopRetention = startRetention(deps);
	const notice = ffmpegNotice(deps);
	if (notice) console.log(`Squelch: ${notice}`);
	else console.log(`Squelch: audio pipeline uses FFmpeg ${deps.pipeline.ffmpeg?.version}`);
	const delays = startDelayScheduler(deps);
	deps.pipeline.kick();
	const stopFolderIngest = startFolderIngest(deps);
	return async () => {
		stopSweeps();
		stopRetention();
		delays.stop();
		await deps.pipeline.stop();
		await stopFolderIngest();
	};
}

/**
 * Every presence TTL: gives back work claimed by instances whose heartbeat went stale and wakes
 * the audio pipeline to take it (the outbox workers look again on their own timers).
 */
export function releaseClaimsEvery(
	deps: { db: DB; clock: Clock; pipeline: AudioPipeline },
	opts: { shared: boolean; presenceTtlMs: number }
): () => void {
	const timer = setInterval(() => {
		releaseStaleClaims(deps.db, deps.clock, opts)
			.then((released) => released > 0 && deps.pipeline.kick())
			.catch((err) =>
				console.error(
					'Squelch: releasing stale claims failed:',
					err instanceof Error ? err.message : err
				)
			);
	}, opts.presenceTtlMs);
	timer.unref();
	return () => clearInterval(timer);
}

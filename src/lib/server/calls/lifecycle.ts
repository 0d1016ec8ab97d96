import { sweepIncoming } from './storage';
import { startRetention, type RetentionDeps } from './retention';
import { startDelayScheduler } from './delay';
import { startFolderIngest, type FolderIngestDeps } from './folder-ingest';
import type { AudioPipeline } from './audio-pipeline/worker';
import type { Bus } from '../core/bus';

export type CallsLifecycleDeps = RetentionDeps &
	FolderIngestDeps & {
		bus: Bus;
		pipeline: AudioPipeline;
		config: { ffmpegPath: string | null };
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
 * Start-up work for calls: finish or discard uploads a crash interrupted, start the hourly
 * retention prune, the broadcast-delay scheduler, the audio pipeline (which picks up any encode a
 * crash interrupted) and folder ingest. Returns the function that stops them.
 */
export async function startCalls(deps: CallsLifecycleDeps): Promise<() => Promise<void>> {
	const swept = await sweepIncoming(deps.db, deps.config.recordingsDir);
	if (swept.completed || swept.removed) {
		console.log(
			`Squelch: recovered ${swept.completed} and discarded ${swept.removed} interrupted upload(s)`
		);
	}
	const stopRetention = startRetention(deps);
	const notice = ffmpegNotice(deps);
	if (notice) console.log(`Squelch: ${notice}`);
	else console.log(`Squelch: audio pipeline uses FFmpeg ${deps.pipeline.ffmpeg?.version}`);
	const delays = startDelayScheduler(deps);
	deps.pipeline.kick();
	const stopFolderIngest = startFolderIngest(deps);
	return async () => {
		stopRetention();
		delays.stop();
		await deps.pipeline.stop();
		await stopFolderIngest();
	};
}

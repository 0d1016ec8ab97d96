import type { Services } from '../app';
import { sweepIncoming } from './storage';
import { startRetention } from './retention';
import { startDelayScheduler } from './delay';
import { startFolderIngest } from './folder-ingest';

/** What the admin dashboard and the start-up log say when FFmpeg is missing. */
export function ffmpegNotice(svc: Services): string | null {
	if (svc.pipeline.ffmpeg) return null;
	return svc.config.ffmpegPath === null
		? 'Audio pipeline off (FFMPEG_PATH=off): calls are stored as received.'
		: `FFmpeg not found (FFMPEG_PATH or "ffmpeg" on PATH): calls are stored as received, without loudness normalisation, silence trimming or re-encoding. Install it with "apt-get install ffmpeg".`;
}

/**
 * Start-up work for calls: finish or discard uploads a crash interrupted, start the hourly
 * retention prune, the broadcast-delay scheduler and the audio pipeline (which picks up any
 * encode a crash interrupted). All are stopped on shutdown.
 */
export async function startCalls(svc: Services): Promise<void> {
	const swept = await sweepIncoming(svc.db, svc.config.dataDir);
	if (swept.completed || swept.removed) {
		console.log(
			`Squelch: recovered ${swept.completed} and discarded ${swept.removed} interrupted upload(s)`
		);
	}
	svc.onShutdown.push(startRetention(svc));
	const notice = ffmpegNotice(svc);
	if (notice) console.log(`Squelch: ${notice}`);
	else console.log(`Squelch: audio pipeline uses FFmpeg ${svc.pipeline.ffmpeg?.version}`);
	const delays = startDelayScheduler(svc);
	svc.onShutdown.push(() => delays.stop());
	svc.pipeline.kick();
	svc.onShutdown.push(() => svc.pipeline.stop());
	svc.onShutdown.push(startFolderIngest(svc));
}

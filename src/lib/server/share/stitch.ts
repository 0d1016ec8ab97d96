import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../calls/audio-pipeline/ffmpeg';

/**
 * One audio file of a whole incident, made by FFmpeg: every call resampled to mono, half a second
 * of silence after each, concatenated and encoded as MP3. FFmpeg runs through the audio
 * pipeline's runner (argument array, no shell, a time limit); how many joins may run at once is
 * this object's limit, and app.ts builds the one per process.
 */

export type StitchResult =
	| { ok: true; file: string; cleanup: () => Promise<void> }
	| { ok: false; reason: 'absent' | 'busy' | 'timeout' | 'failed'; message: string };

export function stitchArgs(inputs: string[], output: string): string[] {
	const args = ['-loglevel', 'error'];
	for (const input of inputs) args.push('-i', input);
	const chains = inputs.map(
		(_, i) => `[${i}:a]aresample=22050,aformat=channel_layouts=mono,apad=pad_dur=0.5[a${i}]`
	);
	const labels = inputs.map((_, i) => `[a${i}]`).join('');
	args.push(
		'-filter_complex',
		`${chains.join(';')};${labels}concat=n=${inputs.length}:v=0:a=1[out]`,
		'-map',
		'[out]',
		'-c:a',
		'libmp3lame',
		'-b:a',
		'48k',
		'-f',
		'mp3',
		'-y',
		output
	);
	return args;
}

export class IncidentStitcher {
	private running = 0;

	constructor(
		private readonly opts: {
			/** null: FFMPEG_PATH=off. */
			ffmpegPath: string | null;
			timeoutSec: number;
			/** Joins at once in this process; past it a request is told to try again. */
			maxRunning: number;
		}
	) {}

	async stitch(inputs: string[]): Promise<StitchResult> {
		const { ffmpegPath, timeoutSec, maxRunning } = this.opts;
		if (ffmpegPath === null)
			return { ok: false, reason: 'absent', message: 'FFmpeg is turned off on this server.' };
		if (!inputs.length) return { ok: false, reason: 'failed', message: 'no audio files to join' };
		if (this.running >= maxRunning)
			return { ok: false, reason: 'busy', message: 'another download is being joined; try again' };
		this.running++;
		const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'squelch-stitch-'));
		const output = path.join(dir, 'incident.mp3');
		const cleanup = () => fs.promises.rm(dir, { recursive: true, force: true });
		try {
			const failure = await this.run(ffmpegPath, stitchArgs(inputs, output), timeoutSec);
			if (!failure) return { ok: true, file: output, cleanup };
			await cleanup();
			return failure;
		} finally {
			this.running--;
		}
	}

	private async run(ffmpeg: string, args: string[], timeoutSec: number) {
		type Failure = Extract<StitchResult, { ok: false }>;
		try {
			const result = await runFfmpeg(ffmpeg, args, timeoutSec * 1000);
			if (result.timedOut)
				return {
					ok: false,
					reason: 'timeout',
					message: `FFmpeg took over ${timeoutSec} s`
				} as Failure;
			if (result.code === 0) return null;
			const last = result.stderr.trim().split('\n').pop() ?? '';
			return {
				ok: false,
				reason: 'failed',
				message: `FFmpeg failed (${result.code}): ${last}`
			} as Failure;
		} catch (err) {
			const e = err as NodeJS.ErrnoException;
			return (
				e.code === 'ENOENT'
					? {
							ok: false,
							reason: 'absent',
							message: 'FFmpeg is not installed on this server (set FFMPEG_PATH)'
						}
					: { ok: false, reason: 'failed', message: `FFmpeg could not start: ${e.message}` }
			) as Failure;
		}
	}
}

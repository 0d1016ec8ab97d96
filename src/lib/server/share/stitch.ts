import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One audio file of a whole incident, made by FFmpeg: every call resampled to mono, half a second
 * of silence after each, concatenated and encoded as MP3. FFmpeg gets an argument array (no
 * shell), a time limit, and at most one run at a time in this process.
 */

export type StitchResult =
	| { ok: true; file: string; cleanup: () => Promise<void> }
	| { ok: false; reason: 'absent' | 'busy' | 'timeout' | 'failed'; message: string };

let running = 0;
const MAX_RUNNING = 1;

export function stitchArgs(inputs: string[], output: string): string[] {
	const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
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

export async function stitchIncident(
	/** null: FFMPEG_PATH=off. */
	ffmpegPath: string | null,
	inputs: string[],
	timeoutSec: number
): Promise<StitchResult> {
	if (ffmpegPath === null)
		return { ok: false, reason: 'absent', message: 'FFmpeg is turned off on this server.' };
	if (!inputs.length) return { ok: false, reason: 'failed', message: 'no audio files to join' };
	if (running >= MAX_RUNNING)
		return { ok: false, reason: 'busy', message: 'another download is being joined; try again' };
	running++;
	const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'squelch-stitch-'));
	const output = path.join(dir, 'incident.mp3');
	const cleanup = () => fs.promises.rm(dir, { recursive: true, force: true });
	try {
		const outcome = await run(ffmpegPath, stitchArgs(inputs, output), timeoutSec * 1000);
		if (outcome.ok) return { ok: true, file: output, cleanup };
		await cleanup();
		return outcome;
	} finally {
		running--;
	}
}

function run(
	command: string,
	args: string[],
	timeoutMs: number
): Promise<{ ok: true } | Extract<StitchResult, { ok: false }>> {
	return new Promise((resolve) => {
		let stderr = '';
		let timedOut = false;
		const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill('SIGKILL');
		}, timeoutMs);
		child.stderr.on('data', (c: Buffer) => {
			if (stderr.length < 4000) stderr += c.toString();
		});
		child.once('error', (err: NodeJS.ErrnoException) => {
			clearTimeout(timer);
			resolve(
				err.code === 'ENOENT'
					? {
							ok: false,
							reason: 'absent',
							message: 'FFmpeg is not installed on this server (set FFMPEG_PATH)'
						}
					: { ok: false, reason: 'failed', message: `FFmpeg could not start: ${err.message}` }
			);
		});
		child.once('close', (code) => {
			clearTimeout(timer);
			if (timedOut)
				resolve({
					ok: false,
					reason: 'timeout',
					message: `FFmpeg took over ${timeoutMs / 1000} s`
				});
			else if (code === 0) resolve({ ok: true });
			else
				resolve({
					ok: false,
					reason: 'failed',
					message: `FFmpeg failed (${code}): ${stderr.trim().split('\n').pop() ?? ''}`
				});
		});
	});
}

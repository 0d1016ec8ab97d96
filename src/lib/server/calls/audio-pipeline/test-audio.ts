import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Test audio made from the fixtures with the real FFmpeg, and measurements of FFmpeg's output. */
export const FIXTURE_WAV = path.resolve(
	import.meta.dirname,
	'../../../../../tests/fixtures/audio/12345-1718145678_851012500-call_17.wav'
);

export function tempDir(): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-audio-'));
}

/** The fixture through an extra filter (volume, padding), as a WAV. */
export function variant(dir: string, name: string, filter: string): string {
	const out = path.join(dir, `${name}.wav`);
	execFileSync(
		'ffmpeg',
		['-hide_banner', '-nostdin', '-y', '-i', FIXTURE_WAV, '-af', filter, out],
		{
			stdio: 'ignore'
		}
	);
	return out;
}

/** Integrated loudness (LUFS) as FFmpeg's ebur128 filter measures it. */
export function loudness(file: string): number {
	const result = spawnText(['-i', file, '-af', 'ebur128', '-f', 'null', '-']);
	const summary = result.slice(result.lastIndexOf('Summary:'));
	const match = /Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS/.exec(summary);
	if (!match) throw new Error(`no loudness in:\n${summary}`);
	return Number(match[1]);
}

/** Duration in seconds, decoded to the end (not the container's claim). */
export function decodedSeconds(file: string): number {
	const result = spawnText(['-i', file, '-f', 'null', '-']);
	const times = [...result.matchAll(/time=(\d+):(\d+):([\d.]+)/g)];
	const last = times.at(-1);
	if (!last) throw new Error(`no time in:\n${result}`);
	return Number(last[1]) * 3600 + Number(last[2]) * 60 + Number(last[3]);
}

/** The codec and sample rate of the first audio stream. */
export function streamInfo(file: string): string {
	const result = spawnText(['-i', file]);
	return /Audio: ([^\n]+)/.exec(result)?.[1] ?? '';
}

/** What FFmpeg printed on stderr (stream info, filter summaries), whatever its exit code. */
function spawnText(args: string[]): string {
	return spawnSync('ffmpeg', ['-hide_banner', '-nostdin', ...args], { encoding: 'utf8' }).stderr;
}

import { runFfmpeg } from './ffmpeg';

export interface EncodeOptions {
	ffmpeg: string;
	/** Integrated loudness target, LUFS. */
	loudnessTarget: number;
	format: 'aac' | 'opus';
	bitrateKbps: number;
	trimSilence: boolean;
	silenceThresholdDb: number;
	silencePadMs: number;
	timeLimitMs: number;
}

export const OUTPUT = {
	aac: { ext: 'm4a', mime: 'audio/mp4' },
	opus: { ext: 'webm', mime: 'audio/webm' }
} as const;

export type EncodeResult =
	| { ok: true; inputLoudness: number | null }
	/** `undecodable`: FFmpeg refused the input (kept as received); `timeout`: worth another try. */
	| { ok: false; kind: 'undecodable' | 'timeout'; reason: string };

/** True-peak ceiling of the limiter after the gain, dBFS (EBU R128 allows up to −1 dBTP). */
const CEILING_DB = -1;
/** Gain is capped so a near-silent call is not blown up into hiss. */
const MAX_GAIN_DB = 30;

/**
 * Two passes over the call. The first measures its integrated loudness (EBU R128, FFmpeg's
 * `ebur128` filter). The second applies the gain that brings it to the target as one linear gain
 * (in float, so nothing clips on the way), then trims leading and trailing silence — after the
 * gain, so the threshold is relative to the normalised level and quiet speech is never mistaken
 * for silence — keeping a pad, then a true-peak limiter, then encodes mono at the bitrate.
 *
 * FFmpeg's `loudnorm` was measured first: whenever the gain would push peaks past the ceiling
 * (most quiet radio calls) it switches to its dynamic mode, which on calls of a few seconds lands
 * 1 LU or more off target. A linear gain and a limiter land within a few tenths (tests measure it).
 */
export async function encodeCall(
	input: string,
	output: string,
	opts: EncodeOptions
): Promise<EncodeResult> {
	const measure = await runFfmpeg(
		opts.ffmpeg,
		['-i', input, '-map', '0:a:0', '-af', 'ebur128', '-f', 'null', '-'],
		opts.timeLimitMs
	);
	if (measure.timedOut) return { ok: false, kind: 'timeout', reason: 'measuring took too long' };
	if (measure.code !== 0)
		return { ok: false, kind: 'undecodable', reason: lastError(measure.stderr) };
	const loudness = integratedLoudness(measure.stderr);
	const rate = Number(/Audio: [^,]+, (\d+) Hz/.exec(measure.stderr)?.[1] ?? 0);

	// An all-silent call (ebur128 reports −70 LUFS) gets no gain.
	const gain =
		loudness === null || loudness <= -70
			? 0
			: Math.max(-MAX_GAIN_DB, Math.min(MAX_GAIN_DB, opts.loudnessTarget - loudness));
	const filters = ['aformat=sample_fmts=flt:channel_layouts=mono', `volume=${gain.toFixed(2)}dB`];
	if (opts.trimSilence) {
		const edge = `silenceremove=start_periods=1:start_threshold=${opts.silenceThresholdDb}dB:start_silence=${(opts.silencePadMs / 1000).toFixed(3)}:detection=peak`;
		// Trailing silence: trim the start of the reversed call (silenceremove's stop_* options
		// also cut pauses in the middle, which are part of the call).
		filters.push(edge, 'areverse', edge, 'areverse');
	}
	const ceiling = Math.pow(10, CEILING_DB / 20).toFixed(4);
	filters.push(`alimiter=limit=${ceiling}:level=false:attack=5:release=50`);

	const codec =
		opts.format === 'aac'
			? ['-c:a', 'aac', '-f', 'mp4', '-movflags', '+faststart']
			: ['-c:a', 'libopus', '-application', 'voip', '-f', 'webm'];
	// AAC and Opus both cope with telephone-band audio at a low rate; Opus only takes 8/12/16/24/48 kHz.
	const outRate = rate && rate <= 16000 ? 16000 : 24000;
	const encode = await runFfmpeg(
		opts.ffmpeg,
		[
			'-i',
			input,
			'-map',
			'0:a:0',
			'-map_metadata',
			'-1',
			'-af',
			filters.join(','),
			'-ac',
			'1',
			'-ar',
			String(outRate),
			...codec,
			'-b:a',
			`${opts.bitrateKbps}k`,
			'-y',
			output
		],
		opts.timeLimitMs
	);
	if (encode.timedOut) return { ok: false, kind: 'timeout', reason: 'encoding took too long' };
	if (encode.code !== 0)
		return { ok: false, kind: 'undecodable', reason: lastError(encode.stderr) };
	return { ok: true, inputLoudness: loudness };
}

/** The `I:` line of ebur128's summary, LUFS. */
export function integratedLoudness(stderr: string): number | null {
	const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
	const match = /Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS/.exec(summary);
	if (!match) return null;
	const value = Number(match[1]);
	return Number.isFinite(value) ? value : -70;
}

/** FFmpeg's last meaningful complaint, for the event log. */
function lastError(stderr: string): string {
	const lines = stderr
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l && !l.startsWith('Input #') && !l.startsWith('Stream'));
	return (lines.at(-1) ?? 'FFmpeg failed').slice(0, 300);
}

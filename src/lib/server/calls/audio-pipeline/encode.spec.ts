import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeCall, type EncodeOptions } from './encode';
import { findFfmpeg, runFfmpeg } from './ffmpeg';
import { decodedSeconds, FIXTURE_WAV, loudness, streamInfo, tempDir, variant } from './test-audio';

// Real FFmpeg (Debian's, as CI installs it) on audio made from the fixtures.

const OPTIONS: EncodeOptions = {
	ffmpeg: 'ffmpeg',
	loudnessTarget: -16,
	format: 'aac',
	bitrateKbps: 32,
	trimSilence: true,
	silenceThresholdDb: -50,
	silencePadMs: 300,
	timeLimitMs: 60_000
};

const dir = tempDir();
const quiet = variant(dir, 'quiet', 'volume=-18dB');
const loud = variant(dir, 'loud', 'volume=10dB');
// Two seconds of digital silence before and after the speech.
const padded = variant(dir, 'padded', 'adelay=2s:all=1,apad=pad_dur=2');

async function encoded(input: string, name: string, over: Partial<EncodeOptions> = {}) {
	const ext = over.format === 'opus' ? 'webm' : 'm4a';
	const out = path.join(dir, `${name}.${ext}`);
	const result = await encodeCall(input, out, { ...OPTIONS, ...over });
	expect(result).toMatchObject({ ok: true });
	return out;
}

describe('encodeCall', { timeout: 60_000 }, () => {
	it('brings quiet and loud calls to the loudness target within 1 LU (ebur128)', async () => {
		expect(loudness(quiet)).toBeLessThan(-35);
		expect(loudness(loud)).toBeGreaterThan(-12);
		for (const [input, name] of [
			[quiet, 'quiet'],
			[loud, 'loud']
		]) {
			const out = await encoded(input, name);
			expect(Math.abs(loudness(out) - -16), name).toBeLessThanOrEqual(1);
		}
		// Another target is honoured as well.
		const lower = await encoded(loud, 'loud-23', { loudnessTarget: -23 });
		expect(Math.abs(loudness(lower) - -23)).toBeLessThanOrEqual(1);
	});

	it('trims leading and trailing silence down to the pad and keeps the speech', async () => {
		const plain = await encoded(FIXTURE_WAV, 'plain');
		const trimmed = await encoded(padded, 'padded');
		const before = decodedSeconds(padded);
		expect(before).toBeGreaterThan(decodedSeconds(FIXTURE_WAV) + 3.9);
		// The four seconds of silence are gone but for the pads…
		expect(decodedSeconds(trimmed)).toBeLessThan(before - 3.2);
		// …and what is left is the call: the same length as the call encoded without padding.
		expect(Math.abs(decodedSeconds(trimmed) - decodedSeconds(plain))).toBeLessThan(0.35);
		// Without trimming the silence stays.
		const kept = await encoded(padded, 'untrimmed', { trimSilence: false });
		expect(decodedSeconds(kept)).toBeGreaterThan(before - 0.2);
	});

	it('stores mono AAC-LC in MP4 at the bitrate, a fraction of the WAV', async () => {
		const out = await encoded(FIXTURE_WAV, 'size');
		expect(streamInfo(out)).toMatch(/^aac \(LC\).*mono/);
		// 128 kbit/s PCM to 32 kbit/s AAC: at least three times smaller.
		expect(fs.statSync(out).size * 3).toBeLessThan(fs.statSync(FIXTURE_WAV).size);
	});

	it('encodes Opus in WebM when asked', async () => {
		const out = await encoded(FIXTURE_WAV, 'opus', { format: 'opus', bitrateKbps: 24 });
		expect(streamInfo(out)).toMatch(/^opus.*mono/);
		expect(fs.readFileSync(out).subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
	});

	it('reports a file FFmpeg cannot decode, writing nothing', async () => {
		const junk = path.join(dir, 'junk.wav');
		fs.writeFileSync(junk, Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(4000, 7)]));
		const out = path.join(dir, 'junk.m4a');
		const result = await encodeCall(junk, out, OPTIONS);
		expect(result).toMatchObject({ ok: false, kind: 'undecodable' });
		expect(result.ok ? '' : result.reason).not.toBe('');
		expect(fs.existsSync(out) && fs.statSync(out).size > 0).toBe(false);
	});
});

describe('runFfmpeg', () => {
	it('kills a run past its time limit', async () => {
		// An hour of audio read at real-time speed cannot finish inside the limit.
		const result = await runFfmpeg(
			'ffmpeg',
			['-re', '-f', 'lavfi', '-i', 'sine=d=3600', '-f', 'null', '-'],
			300
		);
		expect(result.timedOut).toBe(true);
		expect(result.code).not.toBe(0);
	});
});

describe('findFfmpeg', () => {
	it('finds FFmpeg on PATH and reports its version; a missing one is null', async () => {
		expect((await findFfmpeg('ffmpeg'))?.version).toMatch(/\d/);
		expect(await findFfmpeg('/nonexistent/ffmpeg')).toBeNull();
		expect(await findFfmpeg(null)).toBeNull();
	});
});

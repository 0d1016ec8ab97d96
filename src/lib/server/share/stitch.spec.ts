import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IncidentStitcher } from './stitch';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../tests/fixtures/audio');
const inputs = ['12345-1718145678_851012500-call_17.wav', '1718461822-1.mp3'].map((f) =>
	path.join(FIXTURES, f)
);
const seconds = (file: string) =>
	Number(
		spawnSync('ffprobe', [
			'-v',
			'error',
			'-show_entries',
			'format=duration',
			'-of',
			'csv=p=0',
			file
		])
			.stdout.toString()
			.trim()
	);

const stitcher = (ffmpegPath: string, maxRunning = 1) =>
	new IncidentStitcher({ ffmpegPath, timeoutSec: 60, maxRunning });

describe('IncidentStitcher (real FFmpeg)', () => {
	it('joins the calls in order with half a second after each, and cleans up', async () => {
		const result = await stitcher('ffmpeg').stitch(inputs);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		const expected = inputs.reduce((sum, f) => sum + seconds(f) + 0.5, 0);
		expect(Math.abs(seconds(result.file) - expected)).toBeLessThan(0.3);
		await result.cleanup();
		expect(fs.existsSync(result.file)).toBe(false);
	});

	it('says so when FFmpeg is absent', async () => {
		const result = await stitcher('/nonexistent/ffmpeg').stitch(inputs);
		expect(result).toMatchObject({ ok: false, reason: 'absent' });
		if (!result.ok) expect(result.message).toMatch(/FFmpeg is not installed/);
	});

	it('reports a file FFmpeg cannot read', async () => {
		const bogus = path.join(
			fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-stitch-spec-')),
			'x.wav'
		);
		fs.writeFileSync(bogus, 'not audio');
		try {
			const result = await stitcher('ffmpeg').stitch([bogus]);
			expect(result).toMatchObject({ ok: false, reason: 'failed' });
		} finally {
			fs.rmSync(bogus);
		}
	});

	it('refuses a second join past its limit, and takes one again once the first is done', async () => {
		const one = stitcher('ffmpeg', 1);
		const first = one.stitch(inputs);
		expect(await one.stitch(inputs)).toMatchObject({ ok: false, reason: 'busy' });
		const done = await first;
		expect(done.ok).toBe(true);
		if (done.ok) await done.cleanup();
		const again = await one.stitch(inputs);
		expect(again.ok).toBe(true);
		if (again.ok) await again.cleanup();
	});

	it('says FFmpeg is off when FFMPEG_PATH=off', async () => {
		const off = new IncidentStitcher({ ffmpegPath: null, timeoutSec: 60, maxRunning: 1 });
		expect(await off.stitch(inputs)).toMatchObject({ ok: false, reason: 'absent' });
	});
});

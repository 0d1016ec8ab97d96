import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stitchIncident } from './stitch';

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

describe('stitchIncident (real FFmpeg)', () => {
	it('joins the calls in order with half a second after each, and cleans up', async () => {
		const result = await stitchIncident('ffmpeg', inputs, 60);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		const expected = inputs.reduce((sum, f) => sum + seconds(f) + 0.5, 0);
		expect(Math.abs(seconds(result.file) - expected)).toBeLessThan(0.3);
		await result.cleanup();
		expect(fs.existsSync(result.file)).toBe(false);
	});

	it('says so when FFmpeg is absent', async () => {
		const result = await stitchIncident('/nonexistent/ffmpeg', inputs, 60);
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
			const result = await stitchIncident('ffmpeg', [bogus], 60);
			expect(result).toMatchObject({ ok: false, reason: 'failed' });
		} finally {
			fs.rmSync(bogus);
		}
	});
});

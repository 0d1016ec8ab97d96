import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCalls } from './lifecycle';
import { incomingDir, moveIntoPlace } from './storage';
import { incomingCall } from './test-support';
import { testServices } from '../testing';

// The start-up sweep of RECORDINGS_DIR/.incoming when the directory is shared (DATABASE_URL set).

describe('start-up sweep on a shared recordings directory', () => {
	it('leaves a .incoming file younger than SQUELCH_INCOMING_SWEEP_AGE alone and removes an old one', async () => {
		const deps = await testServices({
			DATABASE_URL: 'postgres://127.0.0.1:1/unused',
			SQUELCH_INCOMING_SWEEP_AGE: '7200',
			FFMPEG_PATH: 'off'
		});
		const dir = incomingDir(deps.config.recordingsDir);
		const young = incomingCall(deps.config.recordingsDir).audio.tmpPath; // another instance's upload
		const hourAgo = new Date(Date.now() - 3_600_000); // older than the request timeout, not the sweep age
		fs.utimesSync(young, hourAgo, hourAgo);
		const old = path.join(dir, 'left-by-a-crash.upload');
		fs.writeFileSync(old, 'x');
		const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
		fs.utimesSync(old, threeHoursAgo, threeHoursAgo);

		const stop = await startCalls(deps);
		await stop();
		expect(fs.existsSync(young)).toBe(true);
		expect(fs.existsSync(old)).toBe(false);
	});
});

describe('moveIntoPlace', () => {
	const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-move-'));

	it('counts a file the other side of a race already moved as placed', async () => {
		const dir = tmp();
		const to = path.join(dir, '2024/06/15/a.wav');
		fs.mkdirSync(path.dirname(to), { recursive: true });
		fs.writeFileSync(to, 'audio');
		await expect(moveIntoPlace(path.join(dir, 'gone.upload'), to)).resolves.toBeUndefined();
		expect(fs.readFileSync(to, 'utf8')).toBe('audio');
	});

	it('fails when the file is neither where it was nor where it should be', async () => {
		const dir = tmp();
		await expect(
			moveIntoPlace(path.join(dir, 'gone.upload'), path.join(dir, '2024/a.wav'))
		).rejects.toMatchObject({ code: 'ENOENT' });
	});

	it('creates the day folder when it is missing', async () => {
		const dir = tmp();
		const from = path.join(dir, 'x.upload');
		fs.writeFileSync(from, 'audio');
		await moveIntoPlace(from, path.join(dir, '2024/06/15/x.wav'));
		expect(fs.readFileSync(path.join(dir, '2024/06/15/x.wav'), 'utf8')).toBe('audio');
	});
});

import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../core/bus';
import { updateSettings } from '../../core/settings';
import { storeCall } from '../ingest';
import { absoluteAudioPath } from '../storage';
import { publishDue } from '../publish';
import { incomingCall } from '../test-support';
import { testServices } from '../../testing';
import { AudioPipeline } from './worker';
import { findFfmpeg } from './ffmpeg';
import { FIXTURE_WAV, loudness } from './test-audio';

// The worker with the real FFmpeg, an in-memory database and a temporary recordings folder.

const pipelines: AudioPipeline[] = [];
afterEach(() => pipelines.splice(0).forEach((p) => p.stop()));

async function setup(opts: { ffmpeg?: boolean } = {}) {
	const deps = {
		...(await testServices({}, { now: Date.UTC(2024, 5, 15, 12) })),
		bus: new InProcessBus()
	};
	const ffmpeg = opts.ffmpeg === false ? null : await findFfmpeg('ffmpeg');
	if (opts.ffmpeg !== false) expect(ffmpeg).not.toBeNull();
	const pipeline = new AudioPipeline(deps, ffmpeg);
	pipelines.push(pipeline);
	const published: Array<{ count: number; delayed?: boolean }> = [];
	deps.bus.subscribe('call.published', (p) => published.push(p));
	/** Stores a call whose audio is `audio` (bytes), queued for the pipeline. */
	const store = async (audio: Buffer, over: Parameters<typeof incomingCall>[1] = {}) => {
		const call = incomingCall(deps.config.recordingsDir, over);
		fs.writeFileSync(call.audio.tmpPath, audio);
		call.audio.size = audio.length;
		call.dateTime = deps.clock.now();
		const result = await storeCall(deps, call, 0, true);
		if (result.status !== 'stored') throw new Error(result.status);
		return result.callId;
	};
	const row = (id: number) =>
		deps.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
	const publications = (id: number) =>
		deps.db
			.selectFrom('call_publications')
			.select('audience')
			.where('call_id', '=', id)
			.orderBy('seq')
			.execute()
			.then((rows) => rows.map((r) => r.audience));
	const run = async () => {
		pipeline.kick();
		await pipeline.idle();
	};
	return { deps, pipeline, store, row, publications, run, published };
}

const wav = fs.readFileSync(FIXTURE_WAV);

describe('AudioPipeline', { timeout: 60_000 }, () => {
	it('encodes a stored call, points its row at the encode, publishes it and removes the original', async () => {
		const { deps, pipeline, store, row, publications, run, published } = await setup();
		const id = await store(wav);
		const before = await row(id);
		expect(before.ready_at).toBeNull();
		expect(await publications(id)).toEqual([]);
		expect(await pipeline.queueLength()).toBe(1);

		await run();
		const after = await row(id);
		const file = absoluteAudioPath(deps.config.recordingsDir, after.audio_path)!;
		expect(after.audio_path).toMatch(/\.enc\.m4a$/);
		expect(after.audio_type).toBe('audio/mp4');
		expect(after.audio_size).toBe(fs.statSync(file).size);
		expect(after.original_size).toBe(wav.length);
		expect(after.audio_size * 3).toBeLessThan(wav.length);
		expect(after.duration).toBeGreaterThan(5);
		expect(after.ready_at).toBe(deps.clock.now());
		expect(Math.abs(loudness(file) - -16)).toBeLessThanOrEqual(1);
		expect(fs.existsSync(absoluteAudioPath(deps.config.recordingsDir, before.audio_path)!)).toBe(
			false
		);
		expect(after.original_path).toBeNull();
		expect(await publications(id)).toEqual(['all']);
		expect(published).toEqual([{ count: 1, delayed: false }]);
		expect(await pipeline.queueLength()).toBe(0);
	});

	it('keeps the original when the setting says so', async () => {
		const { deps, store, row, run } = await setup();
		await updateSettings(deps, { keepOriginal: true, audioFormat: 'opus' });
		const id = await store(wav);
		const original = (await row(id)).audio_path;
		await run();
		const after = await row(id);
		expect(after.audio_path).toMatch(/\.enc\.webm$/);
		expect(after.audio_type).toBe('audio/webm');
		expect(after.original_path).toBe(original);
		expect(
			fs.readFileSync(absoluteAudioPath(deps.config.recordingsDir, original)!).equals(wav)
		).toBe(true);
	});

	it('keeps a file FFmpeg cannot decode as received, publishes it and logs why', async () => {
		const { deps, store, row, publications, run } = await setup();
		const junk = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.alloc(3000, 9)]);
		const id = await store(junk);
		await run();
		const after = await row(id);
		expect(after.audio_path).toMatch(/\.wav$/);
		expect(after.audio_type).toBe('audio/wav');
		expect(after.ready_at).not.toBeNull();
		expect(
			fs.readFileSync(absoluteAudioPath(deps.config.recordingsDir, after.audio_path)!).equals(junk)
		).toBe(true);
		expect(await publications(id)).toEqual(['all']);
		const events = await deps.db.selectFrom('events').selectAll().execute();
		expect(events.map((e) => e.type)).toEqual(['audio.failed']);
		expect(JSON.parse(events[0].data)).toMatchObject({ callId: id, reason: expect.any(String) });
	});

	it('without FFmpeg, finishes a queued call with its audio as received', async () => {
		const { store, row, publications, run } = await setup({ ffmpeg: false });
		const id = await store(wav);
		await run();
		expect((await row(id)).audio_type).toBe('audio/wav');
		expect(await publications(id)).toEqual(['all']);
	});

	it('a delayed call goes to exempt listeners when encoded and to everyone when due', async () => {
		const { deps, store, row, publications, run, published } = await setup();
		await store(wav); // creates the system on first sight, without the delay yet
		await deps.db.updateTable('systems').set({ delay_minutes: 5 }).execute();
		deps.clock.advance(60_000);
		const id = await store(wav);
		await run();
		expect(await publications(id)).toEqual(['exempt']);
		expect(published.at(-1)).toEqual({ count: 1, delayed: true });
		const due = (await row(id)).due_at;
		expect(due).toBe((await row(id)).created_at + 5 * 60_000);
		expect(await publishDue(deps.db, due - 1)).toBe(0);
		expect(await publishDue(deps.db, due)).toBe(1);
		expect(await publications(id)).toEqual(['exempt', 'public']);
		expect((await row(id)).public_at).toBe(due);
		expect(await publishDue(deps.db, due + 1)).toBe(0);
	});
});

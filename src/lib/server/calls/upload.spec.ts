import { AudioPipeline } from './audio-pipeline/worker';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { trunkRecorderForm } from './recorder-forms';
import { InProcessBus } from '../core/bus';
import { createApiKey } from './upload-keys';
import type { Services } from '../trpc/context';
import { runFollowUps } from '../http/reply';
import { handleUpload, REPLY } from './upload';
import { incomingDir } from './storage';
import { filesUnder } from './test-support';
import { testServices } from '../testing';

const wav = fs.readFileSync(
	path.resolve(
		import.meta.dirname,
		'../../../../tests/fixtures/audio/12345-1718145678_851012500-call_17.wav'
	)
);

/** Resolves once the stream has ended, also when it ended before we asked. */
const ended = (body: Readable) =>
	new Promise<void>((resolve) => (body.readableEnded ? resolve() : body.once('end', resolve)));

async function setup() {
	const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
	const bus = new InProcessBus();
	// No FFmpeg: calls are published as stored (the pipeline has its own specs).
	const pipeline = new AudioPipeline({ ...deps, bus }, null);
	const svc = { ...deps, bus, pipeline } as unknown as Services;
	const { key } = await createApiKey(deps, { name: 'unit', rateLimit: 2 });
	const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;
	/** Sends one upload and runs its follow-ups straight away, as a server does once the reply is out. */
	const upload = async (dateTime: number) => {
		const form = trunkRecorderForm({
			key,
			audio: wav,
			audioName: 'a.wav',
			audioType: 'audio/wav',
			dateTime,
			system: 1,
			systemLabel: 's',
			talkgroup: 2
		});
		return handleUpload(svc, {
			method: 'POST',
			header: headers({ 'content-type': form.contentType }),
			body: Readable.from([form.body]),
			query: new URLSearchParams(),
			ip: '192.0.2.1'
		});
	};
	const send = async (dateTime: number) => {
		const { reply, afterReply } = await upload(dateTime);
		runFollowUps(afterReply, 'spec');
		return reply;
	};
	return { deps, bus, svc, send, upload, headers };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('handleUpload', () => {
	it('hands publishing and the admin log back as follow-ups: nothing is published until they run', async () => {
		const { deps, bus, upload } = await setup();
		const published: number[] = [];
		bus.subscribe('call.ingested', ({ callId }) => published.push(callId));
		const { reply, afterReply } = await upload(1718145678);
		expect(reply).toMatchObject({ status: 200, body: 'Call imported successfully.' });
		await nextTurn();
		await nextTurn();
		expect(published).toEqual([]); // the caller decides when: after its reply is out
		expect(await deps.db.selectFrom('events').select('type').execute()).toEqual([]);
		// Done when both follow-ups are: the call is published and the admin log row is written.
		const done = Promise.all([
			new Promise<void>((resolve) => bus.subscribe('call.ingested', () => resolve())),
			new Promise<void>((resolve) => bus.subscribe('admin.event', () => resolve()))
		]);
		runFollowUps(afterReply, 'spec');
		await done;
		const row = await deps.db.selectFrom('calls').select('id').executeTakeFirstOrThrow();
		expect(published).toEqual([row.id]);
		const events = await deps.db.selectFrom('events').select(['type', 'data']).execute();
		expect(events.map((e) => [e.type, JSON.parse(e.data)])).toEqual([
			['call.ingested', { callId: row.id, system: 1, talkgroup: 2, keyId: 1, keyName: 'unit' }]
		]);
	});

	it("limits a key's uploads per minute with 429 and Retry-After, logged as rejected", async () => {
		const { deps, send } = await setup();
		expect((await send(1718145600)).status).toBe(200);
		expect((await send(1718145700)).status).toBe(200);
		const limited = await send(1718145800);
		expect(limited.status).toBe(429);
		expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
		deps.clock.advance(30_000);
		expect((await send(1718145900)).status).toBe(200);
		await nextTurn();
		await nextTurn();
		const rejected = await deps.db
			.selectFrom('events')
			.select('data')
			.where('type', '=', 'upload.rejected')
			.execute();
		expect(rejected.map((e) => JSON.parse(e.data))).toEqual([
			expect.objectContaining({ status: 429, keyName: 'unit', ip: '192.0.2.1' })
		]);
	});

	it('answers a wrong method 405 and a non-multipart body 400, draining the body it does not read', async () => {
		const { svc, headers } = await setup();
		const get = await handleUpload(svc, {
			method: 'GET',
			header: headers({}),
			body: null,
			query: new URLSearchParams(),
			ip: '192.0.2.1'
		});
		expect(get.reply).toMatchObject({
			status: 405,
			body: 'Method not allowed: use POST.',
			headers: { allow: 'POST' }
		});
		expect(get.afterReply).toEqual([]);
		const body = Readable.from([Buffer.from('{}')]);
		const json = await handleUpload(svc, {
			method: 'POST',
			header: headers({ 'content-type': 'application/json' }),
			body,
			query: new URLSearchParams(),
			ip: '192.0.2.1'
		});
		expect(json.reply).toMatchObject({ status: 400, body: 'Expected a multipart/form-data body.' });
		expect(json.afterReply).toHaveLength(1); // the upload.rejected entry
		await ended(body); // drained, not left hanging
	});

	it('never throws: a failing store answers 500 with the retry text and leaves no temp file', async () => {
		const { deps, svc, upload } = await setup();
		await deps.db.destroy();
		const errors: unknown[] = [];
		const original = console.error;
		console.error = (...args: unknown[]) => void errors.push(args);
		try {
			const { reply } = await upload(1718145678);
			expect(reply).toMatchObject({ status: 500, body: REPLY.serverError });
		} finally {
			console.error = original;
		}
		expect(errors).toHaveLength(1);
		expect(filesUnder(incomingDir(svc.config.recordingsDir))).toEqual([]);
	});

	it('answers a wrong X-API-Key or ?key= with 401 before reading the body', async () => {
		const { svc, headers } = await setup();
		for (const [header, query] of [
			[{ 'x-api-key': 'sq_wrong' }, ''],
			[{}, 'key=sq_wrong']
		] as const) {
			// Not even multipart inside: parsing it would have answered 400.
			const body = Readable.from([Buffer.alloc(3 * 1024 * 1024, 0x41)]);
			let read = 0;
			body.on('data', (c: Buffer) => (read += c.length));
			const { reply } = await handleUpload(svc, {
				method: 'POST',
				header: headers({ 'content-type': 'multipart/form-data; boundary=x', ...header }),
				body,
				query: new URLSearchParams(query),
				ip: '192.0.2.1'
			});
			expect(reply).toMatchObject({ status: 401, body: REPLY.badKey(0, 0) });
			await ended(body); // drained, not parsed
			expect(read).toBe(3 * 1024 * 1024);
		}
		expect(filesUnder(incomingDir(svc.config.recordingsDir))).toEqual([]);
	});

	it('answers an audio part over the cap 413 (also when spilled to disk) and stores exactly the cap', async () => {
		const { deps, svc, headers } = await setup();
		const { key } = await createApiKey(deps, { name: 'cap' });
		const cap = 3 * 1024 * 1024;
		await deps.db
			.insertInto('settings')
			.values({ key: 'maxUploadBytes', value: String(cap), updated_at: 0 })
			.execute();
		const send = (size: number, dateTime: number) => {
			const audio = Buffer.alloc(size, 1);
			wav.copy(audio, 0, 0, 44);
			const form = trunkRecorderForm({
				key,
				audio,
				audioName: 'a.wav',
				audioType: 'audio/wav',
				dateTime,
				system: 1,
				systemLabel: 's',
				talkgroup: 2
			});
			return handleUpload(svc, {
				method: 'POST',
				header: headers({ 'content-type': form.contentType }),
				body: Readable.from([form.body]),
				query: new URLSearchParams(),
				ip: '192.0.2.1'
			});
		};
		expect((await send(cap + 1, 1718145678)).reply).toMatchObject({
			status: 413,
			body: `Audio larger than the ${cap}-byte upload limit.`
		});
		expect((await send(cap, 1718145778)).reply).toMatchObject({
			status: 200,
			body: REPLY.imported
		});
		const stored = await deps.db.selectFrom('calls').select('audio_size').execute();
		expect(stored).toEqual([{ audio_size: cap }]);
		expect(filesUnder(incomingDir(svc.config.recordingsDir))).toEqual([]);
	});
});

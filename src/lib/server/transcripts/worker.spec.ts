import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSttServer, verboseJson, type SttServer } from '../../../../tests/helpers/stt-server';
import { testServices, type TestServices } from '../testing';
import { storeCall } from '../calls/ingest';
import { incomingCall } from '../calls/test-support';
import { absoluteAudioPath } from '../calls/storage';
import { callById } from '../calls/dto';
import { updateSettings } from '../core/settings';
import { TranscriptWorker, transcriptPass } from './worker';
import { backlogLength, requeueCalls } from './queue';
import type { IncomingCall } from '../calls/ingest';

let stt: SttServer;
let svc: TestServices;
const running = new AbortController();

beforeEach(async () => {
	stt = await startSttServer();
	svc = await testServices({ SQUELCH_STT_URL: stt.url, SQUELCH_STT_MODEL: 'whisper-1' });
	await transcriptPass(svc, running.signal); // the first start: the queue begins here
});
afterEach(() => stt.close());

let minute = 0;
async function store(over: Partial<IncomingCall> = {}): Promise<number> {
	const incoming = incomingCall(svc.config.recordingsDir, {
		dateTime: Date.UTC(2025, 11, 31, 12, minute++),
		...over
	});
	fs.writeFileSync(incoming.audio.tmpPath, Buffer.from(`audio of call ${Math.random()}`));
	const result = await storeCall(svc, incoming, 0);
	if (result.status !== 'stored') throw new Error(`not stored: ${result.status}`);
	return result.callId;
}

const pass = () => transcriptPass(svc, running.signal);
const events = (type: string) =>
	svc.db.selectFrom('events').selectAll().where('type', '=', type).execute();
const outbox = () => svc.db.selectFrom('outbox').selectAll().orderBy('id').execute();

describe('transcript queue and worker', () => {
	it('sends each published call once, stores the aligned transcript, and publishes it as an update', async () => {
		const id = await store({
			sources: [
				{ pos: 0, src: 1234, tag: 'Engine 5' },
				{ pos: 1.5, src: 99 }
			]
		});
		stt.script([
			{
				status: 200,
				json: verboseJson([
					{ start: 0, end: 1.2, text: ' Engine 5 on scene.' },
					{ start: 1.6, end: 2.4, text: ' Copy.' }
				])
			}
		]);
		await pass();
		await pass();
		expect(stt.requests).toHaveLength(1);
		const row = await svc.db
			.selectFrom('calls')
			.select('audio_path')
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		const stored = fs.readFileSync(absoluteAudioPath(svc.config.recordingsDir, row.audio_path)!);
		expect(stt.requests[0].file?.bytes.equals(stored)).toBe(true);
		expect(stt.requests[0].fields.model).toBe('whisper-1');
		const call = await callById(svc.db, { all: true } as never, id);
		expect(call?.transcript).toEqual({
			text: 'Engine 5 on scene. Copy.',
			segments: [
				{ start: 0, end: 1.2, text: 'Engine 5 on scene.', unit: 1234, alias: 'Engine 5' },
				{ start: 1.6, end: 2.4, text: 'Copy.', unit: 99, alias: null }
			]
		});
		const pubs = await svc.db
			.selectFrom('call_publications')
			.select(['kind', 'audience'])
			.where('call_id', '=', id)
			.orderBy('seq')
			.execute();
		expect(pubs).toEqual([
			{ kind: 'call', audience: 'all' },
			{ kind: 'transcript', audience: 'all' }
		]);
		expect(svc.published.some((p) => p.topic === 'transcript.stored')).toBe(true);
	});

	it('retries 5xx and 429 with backoff (Retry-After honoured), then succeeds', async () => {
		const id = await store();
		stt.script([
			{ status: 503, json: { error: { message: 'busy' } } },
			{ status: 429, headers: { 'retry-after': '120' }, json: { error: { message: 'slow down' } } }
		]);
		await pass();
		let [row] = await outbox();
		expect(row).toMatchObject({ attempts: 1, last_error: 'HTTP 503: busy', done_at: null });
		expect(row.next_at - svc.clock.now()).toBe(5_000);
		await pass(); // not due yet: nothing sent
		expect(stt.requests).toHaveLength(1);
		svc.clock.advance(5_000);
		await pass();
		[row] = await outbox();
		expect(row).toMatchObject({ attempts: 2, last_error: 'HTTP 429: slow down' });
		expect(row.next_at - svc.clock.now()).toBe(120_000);
		svc.clock.advance(120_000);
		await pass();
		[row] = await outbox();
		expect(row.done_at).not.toBeNull();
		expect((await callById(svc.db, { all: true } as never, id))?.transcript?.text).toBe(
			'Engine 5 on scene.'
		);
		const failures = await svc.db.selectFrom('transcript_failures').selectAll().execute();
		expect(failures.map((f) => f.error)).toEqual(['HTTP 503: busy', 'HTTP 429: slow down']);
	});

	it('gives up after the set attempts with the reason in the event log', async () => {
		await updateSettings(svc, { sttMaxAttempts: 2 });
		const id = await store();
		stt.script([
			{ status: 500, json: { error: { message: 'CUDA out of memory' } } },
			{ status: 500, json: { error: { message: 'CUDA out of memory' } } }
		]);
		await pass();
		svc.clock.advance(60_000);
		await pass();
		svc.clock.advance(3_600_000);
		await pass();
		expect(stt.requests).toHaveLength(2);
		const [row] = await outbox();
		expect(row.gave_up_at).not.toBeNull();
		const [event] = await events('transcript.failed');
		expect(JSON.parse(event.data)).toEqual({
			callId: id,
			attempts: 2,
			reason: 'HTTP 500: CUDA out of memory'
		});
	});

	it('gives up at once when the engine refuses the request (4xx)', async () => {
		await store();
		stt.script([{ status: 401, json: { error: { message: 'Incorrect API key provided' } } }]);
		await pass();
		expect((await outbox())[0].gave_up_at).not.toBeNull();
		expect(await events('transcript.failed')).toHaveLength(1);
	});

	it('sends only calls in scope and long enough; with the engine off, queues nothing', async () => {
		await updateSettings(svc, { sttScope: ['1:100', '2'], sttMinDurationSec: 2 });
		await store({ systemRef: 1, talkgroupRef: 100, duration: 3 }); // in
		await store({ systemRef: 1, talkgroupRef: 200, duration: 3 }); // other talkgroup
		await store({ systemRef: 2, talkgroupRef: 5, duration: 3 }); // whole system 2
		await store({ systemRef: 2, talkgroupRef: 5, duration: 1 }); // too short
		await pass();
		expect(stt.requests).toHaveLength(2);
		await updateSettings(svc, { sttEngine: 'off' });
		await store({ systemRef: 1, talkgroupRef: 100, duration: 3 });
		await pass();
		expect(await outbox()).toHaveLength(2);
	});

	it('switched on after a time off, sends only calls published from that moment', async () => {
		const worker = new TranscriptWorker(svc, running.signal);
		const fill = async () => {
			await worker.fill();
			await worker.idle();
		};
		await updateSettings(svc, { sttEngine: 'off' });
		await store();
		await fill();
		expect(worker.engineOff).toBe(true);
		await store(); // published after the last fill while off: the timer had not come round yet
		svc.clock.advance(1000);
		await updateSettings(svc, { sttEngine: 'openai' });
		svc.clock.advance(1000);
		const after = await store();
		await fill();
		expect(worker.engineOff).toBe(false);
		expect((await outbox()).map((r) => JSON.parse(r.payload).callId)).toEqual([after]);
		expect(stt.requests).toHaveLength(1);
	});

	it('drops the oldest calls past the backlog limit, with a count in the event log', async () => {
		await updateSettings(svc, { sttBacklog: 3, sttEngine: 'off' });
		const ids = [];
		for (let i = 0; i < 5; i++) ids.push(await store());
		expect(await requeueCalls(svc, ids)).toBe(5);
		await pass();
		expect(await backlogLength(svc.db)).toBe(3);
		const rows = await outbox();
		expect(
			rows.filter((r) => r.gave_up_at !== null).map((r) => JSON.parse(r.payload).callId)
		).toEqual(ids.slice(0, 2));
		const [event] = await events('transcript.dropped');
		expect(JSON.parse(event.data)).toMatchObject({ count: 2 });
	});

	it('keeps at most sttConcurrency requests in flight', async () => {
		await updateSettings(svc, { sttConcurrency: 2 });
		for (let i = 0; i < 3; i++) await store();
		stt.script(['hang', 'hang', 'hang']);
		const stopping = new AbortController();
		const running = transcriptPass(svc, stopping.signal);
		await stt.received(2);
		// Both slots are waiting on the engine; the third call is not sent meanwhile.
		await new Promise((r) => setImmediate(r));
		expect(stt.requests).toHaveLength(2);
		stopping.abort();
		await running;
		// Stopped mid-request: the calls are due again at once, for the next start.
		const rows = await outbox();
		expect(rows.every((r) => r.done_at === null && r.gave_up_at === null)).toBe(true);
		expect(rows.every((r) => r.next_at <= svc.clock.now())).toBe(true);
	});
});

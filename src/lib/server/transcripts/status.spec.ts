import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSttServer, type SttServer } from '../../../../tests/helpers/stt-server';
import { codeOf, testServices, type TestServices } from '../testing';
import { storeCall } from '../calls/ingest';
import { incomingCall } from '../calls/test-support';
import { updateSettings } from '../core/settings';
import { transcriptPass } from './worker';
import { retranscribe, transcriptStatus } from './status';

let stt: SttServer;
let svc: TestServices;
const signal = new AbortController().signal;

beforeEach(async () => {
	stt = await startSttServer();
	svc = await testServices({ SQUELCH_STT_URL: stt.url });
	await transcriptPass(svc, signal); // the first start: the queue begins here
});
afterEach(() => stt.close());

async function store(minute: number) {
	const incoming = incomingCall(svc.config.recordingsDir, {
		dateTime: Date.UTC(2025, 11, 31, 12, minute),
		duration: 4
	});
	fs.writeFileSync(incoming.audio.tmpPath, Buffer.from(`call ${minute}`));
	const result = await storeCall(svc, incoming, 0);
	if (result.status !== 'stored') throw new Error(result.status);
	return result.callId;
}

describe('engine status and re-transcribe', () => {
	it('reports the last success, queue, failures in the last hour and the real-time factor', async () => {
		await store(0);
		await store(1);
		stt.script([{ status: 502, json: { error: { message: 'bad gateway' } } }]);
		await transcriptPass(svc, signal);
		const status = await transcriptStatus(svc);
		expect(status).toMatchObject({
			engine: 'openai',
			endpoint: stt.url,
			model: 'whisper-1',
			queueLength: 1,
			failuresLastHour: 1,
			lastError: 'HTTP 502: bad gateway',
			transcribedToday: 1,
			lastSuccessAt: new Date(svc.clock.now())
		});
		// The manual clock did not move during the request: no processing time at all.
		expect(status.realTimeFactor).toBe(0);
		await svc.db.updateTable('transcripts').set({ elapsed_ms: 2000, audio_seconds: 4 }).execute();
		expect((await transcriptStatus(svc)).realTimeFactor).toBe(0.5);
		svc.clock.advance(3_600_001);
		expect((await transcriptStatus(svc)).failuresLastHour).toBe(0);
		// The admin's URL wins over the environment's; credentials in it are never shown.
		await updateSettings(svc, { sttUrl: 'https://me:secret@stt.example.org/base' });
		expect((await transcriptStatus(svc)).endpoint).toBe('https://stt.example.org/base');
	});

	it('queues one call or a time range again, and sends it again', async () => {
		const a = await store(0);
		const b = await store(1);
		await store(30);
		await transcriptPass(svc, signal);
		expect(stt.requests).toHaveLength(3);
		expect(await retranscribe(svc, { callId: a })).toEqual({ queued: 1 });
		expect(
			await retranscribe(svc, {
				from: new Date(Date.UTC(2025, 11, 31, 12, 0)),
				to: new Date(Date.UTC(2025, 11, 31, 12, 5))
			})
		).toEqual({ queued: 1 }); // b: a is waiting already
		await transcriptPass(svc, signal);
		expect(stt.requests).toHaveLength(5);
		expect(await codeOf(retranscribe(svc, { callId: 999 }))).toBe('NOT_FOUND');
		expect(await codeOf(retranscribe(svc, { from: new Date(10), to: new Date(5) }))).toBe(
			'BAD_REQUEST'
		);
		await updateSettings(svc, { sttEngine: 'off' });
		expect(await codeOf(retranscribe(svc, { callId: b }))).toBe('BAD_REQUEST');
	});
});

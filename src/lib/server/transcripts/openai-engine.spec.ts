import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSttServer, verboseJson, type SttServer } from '../../../../tests/helpers/stt-server';
import { OpenAiEngine, retryAfterMs, transcriptionsUrl } from './openai-engine';

let stt: SttServer;
let audioPath: string;
const audio = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7) % 256));

beforeEach(async () => {
	stt = await startSttServer();
	audioPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-stt-')), 'call.m4a');
	fs.writeFileSync(audioPath, audio);
});
afterEach(() => stt.close());

const engine = (over: Partial<ConstructorParameters<typeof OpenAiEngine>[0]> = {}) =>
	new OpenAiEngine({
		baseUrl: stt.url,
		model: 'Systran/faster-whisper-small.en',
		apiKey: null,
		timeoutMs: 10_000,
		now: () => Date.UTC(2026, 0, 1),
		...over
	});
const request = () => ({ audioPath, fileName: 'call.m4a', mimeType: 'audio/mp4', language: 'en' });

describe('OpenAI-compatible engine', () => {
	it('posts the stored audio, model, language and verbose_json, and reads the timed segments', async () => {
		stt.script([
			{
				status: 200,
				json: verboseJson([
					{ start: 0, end: 1.5, text: ' Engine 5 on scene.' },
					{ start: 1.8, end: 3.2, text: ' Copy, Engine 5.' }
				])
			}
		]);
		const result = await engine({ apiKey: 'sk-test' }).transcribe(request());
		const sent = stt.requests[0];
		expect(sent.path).toBe('/v1/audio/transcriptions');
		expect(sent.authorization).toBe('Bearer sk-test');
		expect(sent.file?.bytes.equals(audio)).toBe(true);
		expect(sent.file?.name).toBe('call.m4a');
		expect(sent.file?.mime).toBe('audio/mp4');
		expect(sent.fields).toEqual({
			model: 'Systran/faster-whisper-small.en',
			response_format: 'verbose_json',
			language: 'en'
		});
		expect(result).toEqual({
			ok: true,
			text: 'Engine 5 on scene. Copy, Engine 5.',
			language: 'english',
			duration: 3.2,
			segments: [
				{ start: 0, end: 1.5, text: 'Engine 5 on scene.' },
				{ start: 1.8, end: 3.2, text: 'Copy, Engine 5.' }
			]
		});
	});

	it('sends no language and no key when none is set', async () => {
		await engine().transcribe({ ...request(), language: null });
		expect(stt.requests[0].fields.language).toBeUndefined();
		expect(stt.requests[0].authorization).toBeUndefined();
	});

	it('asks for a retry after what 429 Retry-After says', async () => {
		stt.script([
			{
				status: 429,
				json: { error: { message: 'Rate limit reached' } },
				headers: { 'retry-after': '7' }
			}
		]);
		expect(await engine().transcribe(request())).toEqual({
			ok: false,
			retry: true,
			retryAfterMs: 7000,
			reason: 'HTTP 429: Rate limit reached'
		});
	});

	it('retries a 5xx, and gives up at once on another 4xx, with the engine’s message', async () => {
		stt.script([
			{ status: 503, json: { detail: 'model loading' } },
			{ status: 400, json: { error: { message: 'Invalid file format.' } } }
		]);
		expect(await engine().transcribe(request())).toMatchObject({
			ok: false,
			retry: true,
			reason: 'HTTP 503: model loading'
		});
		expect(await engine().transcribe(request())).toMatchObject({
			ok: false,
			retry: false,
			reason: 'HTTP 400: Invalid file format.'
		});
	});

	it('abandons an answer slower than the timeout, as a retry', async () => {
		stt.script(['hang']);
		const result = await engine({ timeoutMs: 300 }).transcribe(request());
		expect(result).toEqual({
			ok: false,
			retry: true,
			retryAfterMs: null,
			reason: 'no answer within 300 ms'
		});
		expect(stt.requests).toHaveLength(1);
	});

	it('treats a refused connection as a retry, and a body that is not verbose_json as final', async () => {
		stt.script([{ status: 200, json: { result: 'hello' } }]);
		expect(await engine().transcribe(request())).toMatchObject({ ok: false, retry: false });
		const url = stt.url;
		await stt.close();
		const refused = await engine({ baseUrl: url }).transcribe(request());
		expect(refused).toMatchObject({ ok: false, retry: true, reason: 'network: ECONNREFUSED' });
		stt = await startSttServer();
	});
});

describe('request details', () => {
	it('builds the endpoint from a base with or without /v1', () => {
		expect(transcriptionsUrl('https://api.openai.com')).toBe(
			'https://api.openai.com/v1/audio/transcriptions'
		);
		expect(transcriptionsUrl('http://127.0.0.1:8000/v1/')).toBe(
			'http://127.0.0.1:8000/v1/audio/transcriptions'
		);
	});

	it('reads Retry-After as seconds or a date', () => {
		const now = Date.UTC(2026, 0, 1);
		expect(retryAfterMs('30', now)).toBe(30_000);
		expect(retryAfterMs(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
		expect(retryAfterMs('soon', now)).toBeNull();
		expect(retryAfterMs(null, now)).toBeNull();
	});
});

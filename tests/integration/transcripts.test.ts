import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { errorCode, signInAdmin, type Client } from '../helpers/client';
import {
	fixture,
	openServerDb,
	post,
	setSetting,
	trunkRecorderForm,
	waitFor,
	WAV
} from '../helpers/recorders';
import { startSttServer, type SttServer } from '../helpers/stt-server';

/**
 * Transcripts end to end on the production server, against a speech-to-text server of the
 * test's own: the queue survives a restart (every call transcribed once), and calls.search
 * finds the words with their matches marked.
 */

let squelch: TestServer;
let stt: SttServer;
let admin: Client;
let key: string;
const CALLS = 50;
const T0 = 1718145678;

beforeAll(async () => {
	stt = await startSttServer((request) => [
		{ start: 0, end: 0.8, text: ' Engine 5 on scene,' },
		{ start: 0.9, end: 1.6, text: ` file ${path.parse(request.file?.name ?? '').name}.` }
	]);
	squelch = await startServer({
		env: { SQUELCH_STT_URL: stt.url, SQUELCH_STT_MODEL: 'small.en', SQUELCH_STT_LANGUAGE: 'en' }
	});
	({ client: admin } = await signInAdmin(squelch.url));
	({ key } = await admin.admin.apiKeys.create.mutate({ name: 'recorder' }));
	setSetting(squelch.dataDir, 'sttMinDurationSec', 0);
	setSetting(squelch.dataDir, 'sttConcurrency', 2);
});

afterAll(async () => {
	await squelch?.stop();
	await stt?.close();
});

function rows<T>(query: string): T[] {
	const db = openServerDb(squelch.dataDir);
	try {
		return db.prepare(query).all() as T[];
	} finally {
		db.close();
	}
}

it('restarted with 50 calls waiting, transcribes every one of them once', async () => {
	// The engine takes the first two requests and never answers: both slots wait on it while
	// the other calls queue up behind them.
	stt.script(['hang', 'hang']);
	for (let i = 0; i < CALLS; i++) {
		const form = trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: T0 + i * 10,
			system: 1,
			systemLabel: 'County',
			talkgroup: 4200,
			sources: JSON.stringify([{ pos: 0, src: 1234 + i }])
		});
		expect((await post(`${squelch.url}/api/call-upload`, form)).status).toBe(200);
	}
	await stt.received(2);
	// Every call queued (the worker queues each one after its publication).
	const pending = await waitFor(
		() =>
			rows<{ n: number }>(
				"select count(*) as n from outbox where kind = 'transcript' and done_at is null"
			)[0].n,
		(n) => n === CALLS
	);
	expect(pending).toBe(CALLS);
	await squelch.restart();

	const done = await waitFor(
		() => rows<{ call_id: number }>('select call_id from transcripts'),
		(r) => r.length === CALLS,
		60_000
	);
	expect(done).toHaveLength(CALLS);
	const answered = stt.requests.slice(2).map((r) => r.file?.name);
	expect(answered).toHaveLength(CALLS);
	expect(new Set(answered).size).toBe(CALLS);
	// Each request carried the call's stored audio, the model and the language.
	expect(stt.requests.every((r) => r.file?.bytes.equals(fixture(WAV)))).toBe(true);
	expect(stt.requests.every((r) => r.fields.model === 'small.en')).toBe(true);
	expect(stt.requests.every((r) => r.fields.language === 'en')).toBe(true);
	const updates = rows<{ n: number }>(
		"select count(*) as n from call_publications where kind = 'transcript'"
	);
	expect(updates[0].n).toBe(CALLS);
	const status = await admin.admin.transcripts.status.query();
	expect(status).toMatchObject({ engine: 'openai', queueLength: 0, failuresLastHour: 0 });
	expect(status.lastSuccessAt).toBeInstanceOf(Date);
});

it('finds calls by what was said, the matched words marked, and names the unit on each line', async () => {
	const { items } = await admin.calls.search.query({ q: 'engine scene', limit: 100 });
	expect(items).toHaveLength(CALLS);
	const call = items[0];
	expect(call.highlight?.filter((p) => p.match).map((p) => p.text)).toEqual(['Engine', 'scene']);
	expect(call.transcript?.segments[0]).toMatchObject({
		text: expect.stringContaining('Engine 5 on scene'),
		unit: expect.any(Number)
	});
	const file = call.transcript!.text.match(/file (\S+)\./)![1];
	const one = await admin.calls.search.query({ q: `"${file}"` });
	expect(one.items.map((c) => c.id)).toEqual([call.id]);
	expect(await errorCode(admin.calls.search.query({ q: '(*)' }))).toBe('BAD_REQUEST');
	expect(await errorCode(admin.calls.search.query({ q: 'x'.repeat(201) }))).toBe('BAD_REQUEST');
});

it('re-transcribes a call on the admin’s request, and reports a refusal clearly', async () => {
	const before = stt.requests.length;
	const [row] = rows<{ call_id: number }>('select call_id from transcripts limit 1');
	expect(await admin.admin.transcripts.retranscribe.mutate({ callId: row.call_id })).toEqual({
		queued: 1
	});
	await stt.received(before + 1);
	expect(await errorCode(admin.admin.transcripts.retranscribe.mutate({ callId: 999_999 }))).toBe(
		'NOT_FOUND'
	);
});

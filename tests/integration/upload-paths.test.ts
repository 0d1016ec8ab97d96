import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import {
	curlForm,
	fixture,
	openServerDb,
	post,
	recordingFiles,
	trunkRecorderForm,
	WAV
} from '../helpers/recorders';

let server: TestServer;

beforeAll(async () => {
	server = await startServer();
});
afterAll(async () => {
	await server?.stop();
});

const VARIANTS = [
	'/api/call-upload',
	'//api/call-upload',
	'///api/call-upload',
	'/api/call-upload/',
	'//api/call-upload/',
	'/api/trunk-recorder-call-upload',
	'//api/trunk-recorder-call-upload',
	'/api/trunk-recorder-call-upload/'
];

it('reaches the upload endpoint on every path variant, before and after setup, and never redirects', async () => {
	const form = curlForm([
		{ name: 'key', value: 'sq_not-a-key' },
		{ name: 'system', value: '1' },
		{ name: 'talkgroup', value: '2' }
	]);
	for (const setupDone of [false, true]) {
		if (setupDone) await signInAdmin(server.url);
		for (const variant of VARIANTS) {
			const reply = await post(server.url + variant, form);
			expect([variant, setupDone, reply.status, reply.body]).toEqual([
				variant,
				setupDone,
				401,
				'Invalid API key for system 1 talkgroup 2.'
			]);
			const get = await fetch(server.url + variant, { redirect: 'manual' });
			expect([variant, setupDone, get.status]).toEqual([variant, setupDone, 405]);
		}
	}
});

it('finishes or discards uploads a crash interrupted, at the next start', async () => {
	const { client } = await signInAdmin(server.url);
	const { key } = await client.admin.apiKeys.create.mutate({ name: 'crash' });
	const audio = fixture(WAV);
	const ok = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio,
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718145678,
			system: 5,
			systemLabel: 'x',
			talkgroup: 6
		})
	);
	expect(ok.body).toBe('Call imported successfully.');
	await server.stop();

	// As if the server died after committing a second call's row but before renaming its file, and
	// in the middle of a third upload.
	const incoming = path.join(server.dataDir, 'recordings', '.incoming');
	const committedId = randomUUID();
	fs.writeFileSync(path.join(incoming, `${committedId}.upload`), audio);
	fs.writeFileSync(path.join(incoming, `${randomUUID()}.upload`), audio.subarray(0, 1000));
	const db = openServerDb(server.dataDir);
	const first = db.prepare('select * from calls').get() as Record<string, unknown>;
	db.prepare(
		// Audio final and published, as ingest commits a call when the audio pipeline is off.
		`insert into calls (system_id, talkgroup_id, date_time, frequency, duration, audio_path, audio_type, audio_size, audio_name, source, frequencies, sources, patches, api_key_id, created_at, ready_at, due_at, public_at)
			 values (?, ?, ?, null, 6.85, ?, 'audio/wav', ?, 'b.wav', null, '[]', '[]', '[]', null, 0, 0, 0, 0)`
	).run(
		first.system_id,
		first.talkgroup_id,
		1718150000000,
		`2024/06/12/${committedId}.wav`,
		audio.length
	);
	const inserted = db
		.prepare('select id from calls where audio_path = ?')
		.get(`2024/06/12/${committedId}.wav`) as { id: number };
	db.close();
	// On PostgreSQL RECORDINGS_DIR may be shared by several instances, so the sweep only takes
	// files older than SQUELCH_INCOMING_SWEEP_AGE (another instance may still be writing a young
	// one): these leftovers are from a crash two hours ago.
	const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
	for (const f of fs.readdirSync(incoming))
		fs.utimesSync(path.join(incoming, f), twoHoursAgo, twoHoursAgo);

	await server.restart();
	expect(recordingFiles(server.dataDir).filter((f) => f.startsWith('.incoming'))).toEqual([]);
	expect(recordingFiles(server.dataDir)).toContain(`2024/06/12/${committedId}.wav`);
	const res = await fetch(`${server.url}/api/calls/${inserted.id}/audio`, {
		headers: { authorization: `Bearer ${(await signInAdmin(server.url)).token}` }
	});
	expect(res.status).toBe(200);
	expect(Buffer.from(await res.arrayBuffer()).equals(audio)).toBe(true);
	expect(server.output()).toContain('recovered 1 and discarded 1 interrupted upload(s)');
});

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { createAndSignIn, errorCode, signInAdmin, type Client } from '../helpers/client';
import {
	countRows,
	curlForm,
	fixture,
	M4A,
	MP3_OTHER,
	MP3_SDRTRUNK,
	openServerDb,
	post,
	rawHttp,
	recordingFiles,
	sdrtrunkCall,
	sdrtrunkForm,
	setSetting,
	trunkRecorderForm,
	waitFor,
	WAV
} from '../helpers/recorders';

let server: TestServer;
let admin: Client;
let adminToken: string;
let key: string;

const storedFiles = () => recordingFiles(server.dataDir).filter((f) => !f.startsWith('.incoming'));
const incomingFiles = () => recordingFiles(server.dataDir).filter((f) => f.startsWith('.incoming'));

/** The newest stored call for a radio talkgroup, as the API shows it. */
async function latestCall(system: number, talkgroup: number) {
	const { items } = await admin.calls.search.query({
		systems: [system],
		talkgroups: [talkgroup],
		limit: 1
	});
	expect(items).toHaveLength(1);
	return items[0];
}

async function audioBytes(audioUrl: string): Promise<Buffer> {
	const res = await fetch(server.url + audioUrl, {
		headers: { authorization: `Bearer ${adminToken}` }
	});
	expect(res.status).toBe(200);
	return Buffer.from(await res.arrayBuffer());
}

beforeAll(async () => {
	server = await startServer();
	const signedIn = await signInAdmin(server.url);
	admin = signedIn.client;
	adminToken = signedIn.token;
	({ key } = await admin.admin.apiKeys.create.mutate({ name: 'recorders' }));
});

afterAll(async () => {
	await server?.stop();
});

describe('Trunk-Recorder', () => {
	it('uploads a WAV, audio first, to the doubled-slash URL and it lands complete', async () => {
		const audio = fixture(WAV);
		const form = trunkRecorderForm({
			key,
			audio,
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718145678,
			system: 11,
			systemLabel: 'metro',
			talkgroup: 100,
			talkgroupLabel: 'FD Disp',
			talkgroupName: 'Fire Dispatch',
			talkgroupGroup: 'Fire',
			talkgroupTag: 'Fire Dispatch',
			frequencies:
				'[{"freq": 851012500, "time": 1718145678, "pos": 0.00, "len": 2.16, "errorCount": 0, "spikeCount": 0}]',
			sources:
				'[{ "pos": 0.00, "src": 1234567, "tag": "Engine "5"" }, { "pos": 3.10, "src": 7654321 }]',
			patches: '[100,101]'
		});
		const reply = await post(`${server.url}//api/call-upload`, form, {
			'user-agent': 'TrunkRecorder1.0'
		});
		expect(reply).toMatchObject({ status: 200, body: 'Call imported successfully.' });

		const call = await latestCall(11, 100);
		expect(call.system).toEqual({ id: 11, label: 'metro' });
		expect(call.talkgroup).toEqual({
			id: 100,
			label: 'FD Disp',
			name: 'Fire Dispatch',
			group: 'Fire',
			tag: 'Fire Dispatch'
		});
		expect(call.dateTime.getTime()).toBe(1718145678000);
		expect(call.frequency).toBe(851012500);
		expect(call.duration).toBeCloseTo(6.853, 2);
		expect(call.audioType).toBe('audio/wav');
		expect(call.source).toEqual({ id: 1234567, alias: 'Engine "5"' });
		expect(call.sources).toEqual([
			{ pos: 0, src: 1234567, tag: 'Engine "5"' },
			{ pos: 3.1, src: 7654321 }
		]);
		expect(call.patches).toEqual([100, 101]);
		expect(call.frequencies).toEqual([
			{ freq: 851012500, time: 1718145678, pos: 0, len: 2.16, errorCount: 0, spikeCount: 0 }
		]);
		expect((await audioBytes(call.audioUrl)).equals(audio)).toBe(true);
		expect(storedFiles()).toContainEqual(
			expect.stringMatching(/^2024\/06\/11\/[0-9a-f-]{36}\.wav$/)
		);
	});

	it('uploads an M4A to the legacy path, typed by audioType despite application/octet-stream', async () => {
		const audio = fixture(M4A);
		const form = trunkRecorderForm({
			key,
			audio,
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime: 1718145700,
			system: 11,
			systemLabel: 'metro',
			talkgroup: 200,
			talkgroupLabel: '-'
		});
		const reply = await post(`${server.url}/api/trunk-recorder-call-upload`, form, {
			'user-agent': 'TrunkRecorder1.0'
		});
		expect(reply).toMatchObject({ status: 200, body: 'Call imported successfully.' });
		const call = await latestCall(11, 200);
		expect(call.audioType).toBe('audio/mp4');
		expect(call.talkgroup.label).toBe('');
		expect(call.duration).toBeCloseTo(2.32, 2);
		expect((await audioBytes(call.audioUrl)).equals(audio)).toBe(true);
	});

	it('also serves the legacy path with a doubled slash, and never redirects', async () => {
		const form = trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718145900,
			system: 11,
			systemLabel: 'metro',
			talkgroup: 201
		});
		const reply = await post(`${server.url}//api/trunk-recorder-call-upload`, form);
		expect(reply).toMatchObject({ status: 200, body: 'Call imported successfully.' });
	});
});

describe('SDRTrunk', () => {
	it('passes the key test: the reply starts with "incomplete call data: no talkgroup"', async () => {
		const form = sdrtrunkForm([
			['key', key],
			['system', '22'],
			['test', '1']
		]);
		expect(form.body.toString('latin1')).toContain(
			'name="test"\r\n\r\n1\r\n\r\n----sdrtrunk-sdrtrunk-sdrtrunk--\r\n'
		);
		const before = countRows(server.dataDir, 'systems');
		const reply = await post(`${server.url}//api/call-upload`, form, { 'user-agent': 'sdrtrunk' });
		expect(reply.body.toLowerCase().startsWith('incomplete call data: no talkgroup')).toBe(true);
		expect(countRows(server.dataDir, 'systems')).toBe(before);
	});

	it('fails the key test with a bad key', async () => {
		const form = sdrtrunkForm([
			['key', 'not-a-key'],
			['system', '22'],
			['test', '1']
		]);
		const reply = await post(`${server.url}/api/call-upload`, form);
		expect(reply.status).toBe(401);
		expect(reply.body.toLowerCase().startsWith('incomplete call data')).toBe(false);
	});

	it('uploads its hand-built body with the MP3 last and no part Content-Type', async () => {
		const audio = fixture(MP3_SDRTRUNK);
		const form = sdrtrunkCall({
			key,
			system: 22,
			dateTime: 1718461822,
			talkgroup: 52198,
			source: 9001,
			talkerAlias: 'BATT 2',
			talkgroupLabel: 'County Fire',
			talkgroupGroup: 'null',
			systemLabel: 'Regional P25',
			patches: '[52198,52199,52200]',
			audio,
			filename: MP3_SDRTRUNK
		});
		expect(form.body.toString('latin1')).toContain(
			`Content-Disposition: form-data; filename="${MP3_SDRTRUNK}"; name="audio"\r\n\r\n`
		);
		const reply = await post(`${server.url}/api/call-upload`, form, { 'user-agent': 'sdrtrunk' });
		expect(reply.status).toBe(200);
		expect(reply.body).toContain('Call imported successfully.');
		const call = await latestCall(22, 52198);
		expect(call.system).toEqual({ id: 22, label: 'Regional P25' });
		expect(call.talkgroup).toMatchObject({ label: 'County Fire', group: '' });
		expect(call.source).toEqual({ id: 9001, alias: 'BATT 2' });
		expect(call.frequency).toBe(154430000);
		expect(call.audioType).toBe('audio/mpeg');
		expect(call.patches).toEqual([52198, 52199, 52200]);
		expect(call.dateTime.getTime()).toBe(1718461822000);
		expect(call.duration).toBeCloseTo(5.112, 2);
		expect((await audioBytes(call.audioUrl)).equals(audio)).toBe(true);
	});

	it('is served as an ordinary upload when Java adds the h2c upgrade headers', async () => {
		const audio = fixture(MP3_OTHER);
		const form = sdrtrunkCall({
			key,
			system: 22,
			dateTime: 1718461900,
			talkgroup: 52300,
			source: 9002,
			audio,
			filename: '20240615_143100.456.mp3'
		});
		const head =
			`POST //api/call-upload HTTP/1.1\r\n` +
			`Connection: Upgrade, HTTP2-Settings\r\n` +
			`Content-Length: ${form.body.length}\r\n` +
			`Host: 127.0.0.1:${server.port}\r\n` +
			`HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n` +
			`Upgrade: h2c\r\n` +
			`User-Agent: sdrtrunk\r\n` +
			`Content-Type: ${form.contentType}\r\n\r\n`;
		const reply = await rawHttp(server.port, head, form.body);
		expect(reply.status).toBe(200);
		expect(reply.body).toContain('Call imported successfully.');
		const call = await latestCall(22, 52300);
		expect((await audioBytes(call.audioUrl)).equals(audio)).toBe(true);
	});
});

describe('voxcall', () => {
	it('uploads with an ISO 8601 time carrying microseconds', async () => {
		const audio = fixture(MP3_OTHER);
		const form = curlForm([
			{ name: 'key', value: key },
			{ name: 'dateTime', value: '2024-06-15T14:30:22.123456Z' },
			{ name: 'system', value: '33' },
			{ name: 'talkgroup', value: '7' },
			{ name: 'audio', file: audio, filename: '1718461822-1.mp3', contentType: 'audio/mpeg' }
		]);
		const reply = await post(`${server.url}/api/call-upload`, form);
		expect(reply).toMatchObject({ status: 200, body: 'Call imported successfully.' });
		const call = await latestCall(33, 7);
		expect(call.dateTime.toISOString()).toBe('2024-06-15T14:30:22.123Z');
		expect(call.duration).toBeCloseTo(5.04, 2);
		expect((await audioBytes(call.audioUrl)).equals(audio)).toBe(true);
	});
});

/** A complete Trunk-Recorder form, with one field changed or removed. */
function trForm(
	over: Partial<Record<string, string | null>> = {},
	audio: Buffer | null = fixture(WAV),
	fileName = WAV
) {
	const fields: Record<string, string> = {
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime: '1718146000',
		key,
		system: '44',
		talkgroup: '1',
		systemLabel: 'tests'
	};
	for (const [k, v] of Object.entries(over)) {
		if (v === null) delete fields[k];
		else fields[k] = v as string;
	}
	return curlForm([
		...(audio ? [{ name: 'audio', file: audio, filename: fileName }] : []),
		...Object.entries(fields).map(([name, value]) => ({ name, value }))
	]);
}

describe('rejections', () => {
	it('answers a bad key with 401 and stores nothing', async () => {
		const calls = countRows(server.dataDir, 'calls');
		const files = storedFiles().length;
		const reply = await post(
			`${server.url}/api/call-upload`,
			trForm({ key: 'sq_wrong', system: '44', talkgroup: '9' })
		);
		expect(reply).toMatchObject({
			status: 401,
			body: 'Invalid API key for system 44 talkgroup 9.'
		});
		const missing = await post(`${server.url}/api/call-upload`, trForm({ key: null }));
		expect(missing.status).toBe(401);
		expect(countRows(server.dataDir, 'calls')).toBe(calls);
		expect(storedFiles()).toHaveLength(files);
		expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
	});

	it('enforces a key limited to some systems, and a disabled key', async () => {
		const limited = await admin.admin.apiKeys.create.mutate({ name: 'only 45', systems: [45] });
		expect(
			(await post(`${server.url}/api/call-upload`, trForm({ key: limited.key, system: '44' })))
				.status
		).toBe(401);
		expect(
			(
				await post(
					`${server.url}/api/call-upload`,
					trForm({ key: limited.key, system: '45', dateTime: '1718146001' })
				)
			).status
		).toBe(200);
		await admin.admin.apiKeys.update.mutate({ id: limited.id, disabled: true });
		expect(
			(
				await post(
					`${server.url}/api/call-upload`,
					trForm({ key: limited.key, system: '45', dateTime: '1718146100' })
				)
			).status
		).toBe(401);
	});

	it('takes the key from X-API-Key or ?key= too', async () => {
		const form = trForm({ key: null, system: '46', dateTime: '1718146200' });
		expect((await post(`${server.url}/api/call-upload`, form, { 'x-api-key': key })).status).toBe(
			200
		);
		const form2 = trForm({ key: null, system: '46', dateTime: '1718146300' });
		expect(
			(await post(`${server.url}/api/call-upload?key=${encodeURIComponent(key)}`, form2)).status
		).toBe(200);
	});

	it('answers each missing field with 417 and the reason, the last failing check winning', async () => {
		const calls = countRows(server.dataDir, 'calls');
		const cases: Array<[Multipart, string]> = [
			[trForm({}, null), 'no audio'],
			[trForm({}, Buffer.alloc(44, 1)), 'no audio'],
			[trForm({}, Buffer.alloc(0)), 'no audio'],
			[trForm({ dateTime: null }), 'no datetime'],
			[trForm({ dateTime: 'yesterday' }), 'no datetime'],
			[trForm({ system: null }), 'no system'],
			[trForm({ talkgroup: null }), 'no talkgroup'],
			[trForm({ talkgroup: 'abc' }), 'no talkgroup'],
			[trForm({ dateTime: null, system: null }, null), 'no system'],
			[trForm({ dateTime: null, talkgroup: null }, null), 'no talkgroup']
		];
		for (const [form, reason] of cases) {
			const reply = await post(`${server.url}/api/call-upload`, form);
			expect(reply, reason).toMatchObject({ status: 417, body: `Incomplete call data: ${reason}` });
		}
		expect(countRows(server.dataDir, 'calls')).toBe(calls);
		expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
	});

	it('answers malformed multipart, non-multipart and wrong methods', async () => {
		const good = trForm({ dateTime: '1718146400' });
		const truncated = { ...good, body: good.body.subarray(0, good.body.length - 40) };
		expect((await post(`${server.url}/api/call-upload`, truncated)).status).toBe(400);
		// Cut inside the audio part (Trunk-Recorder sends it first): still a clean 400, server alive.
		const midAudio = { ...good, body: good.body.subarray(0, 5000) };
		expect((await post(`${server.url}/api/call-upload`, midAudio)).status).toBe(400);
		expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
		expect(
			(await post(`${server.url}/api/call-upload`, { ...good, contentType: 'multipart/form-data' }))
				.status
		).toBe(400);
		expect(
			(
				await post(`${server.url}/api/call-upload`, {
					body: Buffer.from('garbage without boundaries'),
					contentType: good.contentType
				})
			).status
		).toBe(400);
		const json = await fetch(`${server.url}/api/call-upload`, {
			method: 'POST',
			body: '{}',
			headers: { 'content-type': 'application/json' }
		});
		expect(json.status).toBe(400);
		const get = await fetch(`${server.url}/api/call-upload`, { redirect: 'manual' });
		expect(get.status).toBe(405);
		expect(await get.text()).toContain('POST');
		expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
	});

	it('refuses an upload over maxUploadBytes with 413 and keeps nothing', async () => {
		setSetting(server.dataDir, 'maxUploadBytes', 64 * 1024);
		try {
			const calls = countRows(server.dataDir, 'calls');
			const reply = await post(`${server.url}/api/call-upload`, trForm({ dateTime: '1718146500' }));
			expect(reply.status).toBe(413);
			expect(countRows(server.dataDir, 'calls')).toBe(calls);
			expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
			// Under the cap still works.
			const small = await post(
				`${server.url}/api/call-upload`,
				trForm({ dateTime: '1718146501' }, fixture(M4A), M4A)
			);
			expect(small.status).toBe(200);
		} finally {
			setSetting(server.dataDir, 'maxUploadBytes', 50 * 1024 * 1024);
		}
	});

	it('never uses a file name as a path', async () => {
		const before = storedFiles();
		const form = trForm(
			{ audioName: '../../../../tmp/evil.wav', system: '47', dateTime: '1718146600' },
			fixture(WAV),
			'../../../etc/passwd.wav'
		);
		expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
		const added = storedFiles().filter((f) => !before.includes(f));
		expect(added).toEqual([expect.stringMatching(/^2024\/06\/11\/[0-9a-f-]{36}\.wav$/)]);
		const db = openServerDb(server.dataDir);
		const row = db
			.prepare('select audio_name, audio_path from calls order by id desc limit 1')
			.get() as { audio_name: string; audio_path: string };
		db.close();
		expect(row.audio_name).toBe('evil.wav');
		expect(row.audio_path).not.toContain('..');
	});

	it('keeps going when the JSON fields are broken', async () => {
		const form = trForm({
			system: '48',
			dateTime: '1718146700',
			sources: '[{"pos": 0.0, "src": 42, "tag": "Unit "Q" 1"}, {oops',
			frequencies: '[{"freq": 851012500, "pos": 0.5}, {"freq": oops',
			patches: 'not json'
		});
		expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
		const call = await latestCall(48, 1);
		expect(call.sources).toEqual([{ pos: 0, src: 42, tag: 'Unit "Q" 1' }]);
		expect(call.patches).toEqual([]);
		expect(call.frequencies).toEqual([
			{ freq: 851012500, time: 0, pos: 0.5, len: 0, errorCount: 0, spikeCount: 0 }
		]);
	});

	it('answers a duplicate with 200 "duplicate call rejected" and stores it once', async () => {
		const first = await post(
			`${server.url}/api/call-upload`,
			trForm({ system: '49', dateTime: '1718146800' })
		);
		expect(first.body).toBe('Call imported successfully.');
		const calls = countRows(server.dataDir, 'calls');
		const again = await post(
			`${server.url}/api/call-upload`,
			trForm({ system: '49', dateTime: '1718146801' })
		);
		expect(again).toMatchObject({ status: 200, body: 'duplicate call rejected' });
		expect(countRows(server.dataDir, 'calls')).toBe(calls);
		const later = await post(
			`${server.url}/api/call-upload`,
			trForm({ system: '49', dateTime: '1718146803' })
		);
		expect(later.body).toBe('Call imported successfully.');
	});

	it('refuses unknown talkgroups on a system that does not auto-populate', async () => {
		expect(
			(
				await post(
					`${server.url}/api/call-upload`,
					trForm({ system: '50', talkgroup: '1', dateTime: '1718146900' })
				)
			).status
		).toBe(200);
		const db = openServerDb(server.dataDir);
		db.prepare('update systems set auto_populate = 0 where system_ref = 50').run();
		db.close();
		const reply = await post(
			`${server.url}/api/call-upload`,
			trForm({ system: '50', talkgroup: '2', dateTime: '1718147000' })
		);
		expect(reply.status).toBe(417);
		expect(reply.body).toBe(
			'Incomplete call data: talkgroup 2 is not configured on system 50 (auto-populate is off)'
		);
		expect(
			(
				await post(
					`${server.url}/api/call-upload`,
					trForm({ system: '50', talkgroup: '1', dateTime: '1718147000' })
				)
			).status
		).toBe(200);
	});

	it('limits uploads per key per minute with 429', async () => {
		const slow = await admin.admin.apiKeys.create.mutate({ name: 'slow', rateLimit: 2 });
		const statuses = [];
		for (let i = 0; i < 3; i++)
			statuses.push(
				(
					await post(
						`${server.url}/api/call-upload`,
						trForm({ key: slow.key, system: '51', dateTime: String(1718147100 + i * 10) })
					)
				).status
			);
		expect(statuses).toEqual([200, 200, 429]);
	});
});

type Multipart = ReturnType<typeof curlForm>;

describe('load and interruption', () => {
	it('lands 50 concurrent uploads', async () => {
		const calls = countRows(server.dataDir, 'calls');
		const audio = fixture(WAV);
		const replies = await Promise.all(
			Array.from({ length: 50 }, (_, i) =>
				post(
					`${server.url}/api/call-upload`,
					trunkRecorderForm({
						key,
						audio,
						audioName: WAV,
						audioType: 'audio/wav',
						dateTime: 1718150000 + i,
						system: 60,
						systemLabel: 'load',
						talkgroup: 1000 + i
					})
				)
			)
		);
		expect(replies.map((r) => r.body)).toEqual(Array(50).fill('Call imported successfully.'));
		expect(countRows(server.dataDir, 'calls')).toBe(calls + 50);
		const { items } = await admin.calls.search.query({ systems: [60], limit: 100 });
		expect(items).toHaveLength(50);
		expect(new Set(items.map((c) => c.talkgroup.id)).size).toBe(50);
		expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
	});

	it('leaves no file and no row when the client aborts mid-body', async () => {
		const calls = countRows(server.dataDir, 'calls');
		const files = storedFiles();
		const form = trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718160000,
			system: 61,
			systemLabel: 'abort',
			talkgroup: 1
		});
		const socket = net.connect(server.port, '127.0.0.1');
		await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
		socket.write(
			`POST /api/call-upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${form.contentType}\r\nContent-Length: ${form.body.length}\r\n\r\n`
		);
		socket.write(form.body.subarray(0, 60_000)); // audio part half sent
		// Let the server start writing the temp file, then hang up.
		await waitFor(incomingFiles, (f) => f.length > 0, 5000);
		socket.destroy();
		expect(await waitFor(incomingFiles, (f) => f.length === 0)).toEqual([]);
		expect(storedFiles()).toEqual(files);
		expect(countRows(server.dataDir, 'calls')).toBe(calls);
		// The server is still fine.
		expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
	});
});

describe('API keys administration', () => {
	it('lists keys with prefix and last use, never the key, and is admins only', async () => {
		const keys = await admin.admin.apiKeys.list.query();
		const main = keys.find((k) => k.name === 'recorders')!;
		expect(main.prefix).toBe(key.slice(0, 9));
		expect(main.lastUsedAt).toBeInstanceOf(Date);
		expect(JSON.stringify(keys)).not.toContain(key);
		const listener = await createAndSignIn(server.url, admin, 'keys-listener');
		expect(await errorCode(listener.client.admin.apiKeys.list.query())).toBe('FORBIDDEN');
		expect(await errorCode(listener.client.admin.apiKeys.create.mutate({ name: 'x' }))).toBe(
			'FORBIDDEN'
		);
		expect(await errorCode(admin.admin.apiKeys.create.mutate({ name: '' }))).toBe('BAD_REQUEST');
		expect(await errorCode(admin.admin.apiKeys.delete.mutate({ id: 99999 }))).toBe('NOT_FOUND');
	});

	it('records call.ingested and upload.rejected in the admin event log', async () => {
		const db = openServerDb(server.dataDir);
		const events = await waitFor(
			() =>
				db
					.prepare(
						"select type, data from events where type in ('call.ingested', 'upload.rejected')"
					)
					.all() as Array<{ type: string; data: string }>,
			(rows) =>
				rows.some((r) => r.type === 'upload.rejected') &&
				rows.some((r) => r.type === 'call.ingested')
		);
		db.close();
		const rejected = events
			.filter((e) => e.type === 'upload.rejected')
			.map((e) => JSON.parse(e.data));
		// One row per client, status and minute (the first rejection; the rest are counted when the
		// minute ends), so the bad-key uploads above from this address share the first 401's row.
		expect(rejected).toContainEqual(
			expect.objectContaining({ status: 401, ip: '127.0.0.1', keyName: null, count: 1 })
		);
		expect(rejected.filter((r) => r.status === 401 && r.keyName === null)).toHaveLength(1);
		const ingested = events
			.filter((e) => e.type === 'call.ingested')
			.map((e) => JSON.parse(e.data));
		expect(ingested).toContainEqual(
			expect.objectContaining({ keyName: 'recorders', system: 11, talkgroup: 100 })
		);
		expect(JSON.stringify(events)).not.toContain(key);
	});
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, type Client } from '../helpers/client';
import { countRows, fixture, openServerDb, waitFor, WAV } from '../helpers/recorders';

/**
 * Folder ingest on the production server: Trunk-Recorder-style audio + .json pairs dropped into a
 * watched folder are imported once each, through the same checks as HTTP uploads.
 */

let server: TestServer;
let admin: Client;
let watch: string;
const wav = fixture(WAV);
const T0 = 1718145678;

const sidecar = (talkgroup: number, start: number) =>
	JSON.stringify({
		freq: 851012500,
		start_time: start,
		stop_time: start + 3,
		talkgroup,
		talkgroup_tag: `Fire ${talkgroup}`,
		talkgroup_description: 'County Fire Dispatch',
		talkgroup_group: 'Fire',
		talkgroup_group_tag: 'Dispatch',
		short_name: 'county',
		srcList: [{ src: 4301, time: start, pos: 0, tag: 'Engine 1' }],
		freqList: [{ freq: 851012500, time: start, pos: 0, len: 3, error_count: 0, spike_count: 0 }]
	});

function writePair(base: string, talkgroup: number, start: number) {
	fs.writeFileSync(path.join(watch, `${base}.json`), sidecar(talkgroup, start));
	fs.writeFileSync(path.join(watch, `${base}.wav`), wav);
}

function folderEvents(): Array<{ type: string; file: string; status: number; reply: string }> {
	const db = openServerDb(server.dataDir);
	try {
		return (
			db
				.prepare("select type, data from events where type like 'folder.%' order by id")
				.all() as Array<{ type: string; data: string }>
		).map((r) => ({ type: r.type, ...JSON.parse(r.data) }));
	} finally {
		db.close();
	}
}

const calls = () => countRows(server.dataDir, 'calls');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
	// The key must exist before the watcher starts: make it on a first run of the same data dir.
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-folder-'));
	const first = await startServer({ dataDir });
	({ client: admin } = await signInAdmin(first.url));
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'folder' });
	await first.stop();
	watch = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-watch-'));
	server = await startServer({
		dataDir,
		env: {
			SQUELCH_WATCH_DIRS: `${watch}=7`,
			SQUELCH_WATCH_KEY: key,
			SQUELCH_WATCH_SETTLE_MS: '3000'
		}
	});
	({ client: admin } = await signInAdmin(server.url));
});

afterAll(async () => {
	await server?.stop();
});

it('waits while a file is still growing, then imports the pair with the sidecar metadata', async () => {
	fs.writeFileSync(path.join(watch, 'slow.json'), sidecar(10, T0));
	const fd = fs.openSync(path.join(watch, 'slow.wav'), 'w');
	const chunk = Math.ceil(wav.length / 12);
	for (let i = 0; i < wav.length; i += chunk) {
		fs.writeSync(fd, wav, i, Math.min(chunk, wav.length - i));
		await sleep(100);
		expect(calls()).toBe(0); // never read while it grows
	}
	fs.closeSync(fd);
	expect(await waitFor(calls, (n) => n === 1, 30_000)).toBe(1);
	const [call] = (await admin.calls.search.query({})).items;
	expect(call).toMatchObject({
		system: { id: 7, label: 'county' },
		talkgroup: { id: 10, label: 'Fire 10', name: 'County Fire Dispatch', group: 'Fire' },
		source: { id: 4301, alias: 'Engine 1' }
	});
	expect(call.dateTime.getTime()).toBe(T0 * 1000);
	expect(call.duration).toBeGreaterThan(1);
	const events = await waitFor(folderEvents, (e) => e.length > 0);
	expect(events.at(-1)).toMatchObject({
		type: 'folder.ingested',
		file: 'slow.wav',
		status: 200,
		reply: 'Call imported successfully.'
	});
	// The upload's own log line, as for HTTP.
	const db = openServerDb(server.dataDir);
	const ingested = db
		.prepare("select count(*) as n from events where type = 'call.ingested'")
		.get();
	db.close();
	expect(ingested).toEqual({ n: 1 });
});

it('a sidecar with bad JSON is reported and nothing is stored', async () => {
	fs.writeFileSync(path.join(watch, 'bad.json'), '{"talkgroup": 11, ');
	fs.writeFileSync(path.join(watch, 'bad.wav'), wav);
	const events = await waitFor(folderEvents, (e) => e.some((x) => x.file === 'bad.wav'), 30_000);
	expect(events.find((x) => x.file === 'bad.wav')).toMatchObject({
		type: 'folder.rejected',
		status: 400,
		reply: expect.stringMatching(/^bad JSON in sidecar/)
	});
	expect(calls()).toBe(1);
});

it('a sidecar the upload checks refuse is reported with the upload reply', async () => {
	fs.writeFileSync(path.join(watch, 'notg.json'), JSON.stringify({ start_time: T0 + 50 }));
	fs.writeFileSync(path.join(watch, 'notg.wav'), wav);
	const events = await waitFor(folderEvents, (e) => e.some((x) => x.file === 'notg.wav'), 30_000);
	expect(events.find((x) => x.file === 'notg.wav')).toMatchObject({
		type: 'folder.rejected',
		status: 417,
		reply: 'Incomplete call data: no talkgroup'
	});
	expect(calls()).toBe(1);
});

it('a restart mid-folder imports every pair exactly once', async () => {
	for (let i = 0; i < 4; i++) writePair(`batch-${i}`, 20 + i, T0 + 100 + i);
	await waitFor(calls, (n) => n >= 2, 30_000);
	await server.restart();
	expect(await waitFor(calls, (n) => n === 5, 30_000)).toBe(5);
	// A pair written after the restart is a barrier: once it is in, every earlier pair was seen again.
	writePair('after', 30, T0 + 200);
	expect(await waitFor(calls, (n) => n === 6, 30_000)).toBe(6);
	// The call is stored before its folder line is written: wait for that line too.
	const events = await waitFor(folderEvents, (e) => e.some((x) => x.file === 'after.wav'));
	for (const file of ['slow.wav', 'bad.wav', 'notg.wav', 'after.wav', 'batch-0.wav', 'batch-3.wav'])
		expect(events.filter((e) => e.file === file)).toHaveLength(1);
	expect(fs.existsSync(path.join(watch, 'batch-0.wav'))).toBe(true); // left in place (default)
});

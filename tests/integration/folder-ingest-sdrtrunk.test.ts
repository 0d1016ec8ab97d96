import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { errorCode, signInAdmin, type Client } from '../helpers/client';
import { countRows, openServerDb, waitFor } from '../helpers/recorders';
import { makeSdrtrunkRecording, sdrtrunkFileName } from '../helpers/sdrtrunk-recording';

/**
 * SDRTrunk recordings through a folder an admin adds on the running production server (no
 * environment, no restart): MP3s made by FFmpeg with SDRTrunk's tags, written slowly, a restart
 * mid-folder, and a file that is not audio.
 */

let server: TestServer;
let admin: Client;
let watch: string;
const made = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sdr-made-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const calls = () => countRows(server.dataDir, 'calls');
const tags = (talkgroup: number, second: number) => ({
	talkgroup,
	talkgroupAlias: `Fire ${talkgroup}`,
	radio: 4300 + talkgroup,
	radioAlias: 'Engine 5',
	system: 'Metro',
	date: `2024-06-15 14:30:${String(second).padStart(2, '0')}.250`,
	frequency: 851012500
});

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

beforeAll(async () => {
	server = await startServer({ env: { SQUELCH_WATCH_SETTLE_MS: '2000' } });
	({ client: admin } = await signInAdmin(server.url));
	watch = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sdr-watch-'));
});

afterAll(async () => {
	await server?.stop();
});

it('refuses a folder that does not exist or is a file, naming the field', async () => {
	const { id: apiKeyId } = await admin.admin.apiKeys.create.mutate({ name: 'refused' });
	const base = { format: 'sdrtrunk' as const, system: 9, apiKeyId };
	const missing = admin.admin.watchFolders.create.mutate({ ...base, path: path.join(watch, 'no') });
	expect(await errorCode(missing)).toBe('BAD_REQUEST');
	await expect(
		admin.admin.watchFolders.create.mutate({ ...base, path: path.join(watch, 'no') })
	).rejects.toThrow(/^path: .* does not exist$/);
	const file = path.join(made, 'plain.txt');
	fs.writeFileSync(file, 'x');
	await expect(admin.admin.watchFolders.create.mutate({ ...base, path: file })).rejects.toThrow(
		/^path: .* is not a directory$/
	);
	expect(await admin.admin.watchFolders.list.query()).toEqual([]);
});

it('a folder added at run time is read: a growing MP3 is imported once, with its tags', async () => {
	const { id: apiKeyId } = await admin.admin.apiKeys.create.mutate({ name: 'sdrtrunk' });
	await admin.admin.watchFolders.create.mutate({
		path: watch,
		format: 'sdrtrunk',
		system: 9,
		apiKeyId
	});
	const mp3 = fs.readFileSync(makeSdrtrunkRecording(made, tags(52198, 22), 'mp3', 3));
	const fd = fs.openSync(path.join(watch, sdrtrunkFileName(tags(52198, 22), 'mp3')), 'w');
	const chunk = Math.ceil(mp3.length / 10);
	for (let i = 0; i < mp3.length; i += chunk) {
		fs.writeSync(fd, mp3, i, Math.min(chunk, mp3.length - i));
		await sleep(150);
		expect(calls()).toBe(0); // never read while it grows
	}
	fs.closeSync(fd);
	expect(await waitFor(calls, (n) => n === 1, 30_000)).toBe(1);
	const [call] = (await admin.calls.search.query({})).items;
	expect(call).toMatchObject({
		system: { id: 9, label: 'Metro' },
		talkgroup: { id: 52198, label: 'Fire 52198' },
		source: { id: 4300 + 52198, alias: 'Engine 5' },
		frequency: 851012500
	});
	expect(call.dateTime.getTime()).toBe(new Date(2024, 5, 15, 14, 30, 22).getTime());
	const events = await waitFor(folderEvents, (e) => e.length > 0);
	expect(events).toEqual([
		expect.objectContaining({
			type: 'folder.ingested',
			status: 200,
			reply: 'Call imported successfully.'
		})
	]);
});

it('a file that is not audio is reported and nothing is stored', async () => {
	const name = sdrtrunkFileName(tags(600, 40), 'mp3');
	fs.writeFileSync(path.join(watch, name), 'ID3 but no audio at all');
	const events = await waitFor(folderEvents, (e) => e.some((x) => x.file === name), 30_000);
	expect(events.find((x) => x.file === name)).toMatchObject({
		type: 'folder.rejected',
		status: 400,
		// music-metadata's own words for what is wrong (here: a tag header that lies about its size).
		reply: expect.stringMatching(/^unreadable recording: ID3v2 tag size/)
	});
	expect(calls()).toBe(1);
});

it('a restart mid-folder imports every recording exactly once', async () => {
	for (let i = 0; i < 4; i++)
		fs.copyFileSync(
			makeSdrtrunkRecording(made, tags(700 + i, 50 + i)),
			path.join(watch, sdrtrunkFileName(tags(700 + i, 50 + i), 'mp3'))
		);
	await waitFor(calls, (n) => n >= 2, 30_000);
	await server.restart();
	expect(await waitFor(calls, (n) => n === 5, 30_000)).toBe(5);
	// One written after the restart is a barrier: once it is in, every earlier file was seen again.
	const last = tags(800, 59);
	fs.copyFileSync(
		makeSdrtrunkRecording(made, last),
		path.join(watch, sdrtrunkFileName(last, 'mp3'))
	);
	expect(await waitFor(calls, (n) => n === 6, 30_000)).toBe(6);
	const events = await waitFor(folderEvents, (e) => e.some((x) => x.file.includes('_TO_800_')));
	const byFile = new Map<string, number>();
	for (const e of events) byFile.set(e.file, (byFile.get(e.file) ?? 0) + 1);
	expect([...byFile.values()].every((n) => n === 1)).toBe(true);
	expect(byFile.size).toBe(7); // 6 stored + the one that is not audio
});

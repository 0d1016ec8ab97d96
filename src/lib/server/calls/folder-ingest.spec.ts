import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSharedTestDbs } from '../core/db';
import { testServices, type TestServices } from '../testing';
import { updateSettings } from '../core/settings';
import { createApiKey, deleteApiKey } from './upload-keys';
import { createWatchFolder, updateWatchFolder } from './watch-folders';
import {
	makeSdrtrunkRecording,
	sdrtrunkFileName
} from '../../../../tests/helpers/sdrtrunk-recording';
import { scanFolders, type Seen } from './folder-ingest';

const WAV = path.resolve(
	import.meta.dirname,
	'../../../../tests/fixtures/audio/12345-1718145678_851012500-call_17.wav'
);

async function setup(mode: 'leave' | 'move') {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-folder-spec-'));
	const watch = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-folder-watch-'));
	// The key is checked exactly as for an HTTP upload, so it must exist in the database first.
	const base = await testServices({ DATA_DIR: dataDir });
	const { key } = await createApiKey(base, { name: 'folder' });
	const svc = {
		...base,
		config: {
			...base.config,
			watchDirs: [{ dir: watch, system: 3, format: 'trunk-recorder' as const }],
			watchKey: key,
			watchMode: mode,
			watchSettleMs: 1000
		}
	};
	fs.mkdirSync(path.join(dataDir, 'recordings'), { recursive: true });
	return { svc, watch, seen: new Map<string, Seen>() };
}

const pair = (watch: string, base: string, json: string) => {
	fs.writeFileSync(path.join(watch, `${base}.json`), json);
	fs.copyFileSync(WAV, path.join(watch, `${base}.wav`));
};
const count = async (svc: Pick<TestServices, 'db'>) =>
	(await svc.db.selectFrom('calls').select('id').execute()).length;

describe('folder ingest (manual clock)', () => {
	it('reads a pair only after it has been unchanged for the settle time, then moves it', async () => {
		const { svc, watch, seen } = await setup('move');
		pair(watch, 'a', JSON.stringify({ talkgroup: 5, start_time: 1718145678 }));
		await scanFolders(svc, seen);
		svc.clock.advance(999);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		svc.clock.advance(1);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(1);
		expect(fs.readdirSync(path.join(watch, 'imported')).sort()).toEqual(['a.json', 'a.wav']);
		expect(fs.existsSync(path.join(watch, 'a.wav'))).toBe(false);
	});

	it('keeps the call JSON’s emergency flag (0/1 or true/false)', async () => {
		const { svc, watch, seen } = await setup('move');
		pair(watch, 'e1', JSON.stringify({ talkgroup: 5, start_time: 1718145678, emergency: 1 }));
		pair(watch, 'e2', JSON.stringify({ talkgroup: 5, start_time: 1718145690, emergency: false }));
		pair(watch, 'e3', JSON.stringify({ talkgroup: 5, start_time: 1718145700, emergency: true }));
		await scanFolders(svc, seen);
		svc.clock.advance(1000);
		await scanFolders(svc, seen);
		const rows = await svc.db
			.selectFrom('calls')
			.select(['date_time', 'emergency'])
			.orderBy('date_time')
			.execute();
		expect(rows.map((r) => r.emergency)).toEqual([1, 0, 1]);
	});

	it('a file that changes starts its wait again', async () => {
		const { svc, watch, seen } = await setup('leave');
		pair(watch, 'b', JSON.stringify({ talkgroup: 5, start_time: 1718145678 }));
		await scanFolders(svc, seen);
		svc.clock.advance(900);
		fs.appendFileSync(path.join(watch, 'b.wav'), Buffer.alloc(10));
		await scanFolders(svc, seen);
		svc.clock.advance(900);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		svc.clock.advance(100);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(1);
		// Left in place, and never read twice.
		svc.clock.advance(5000);
		await scanFolders(svc, seen);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(1);
	});

	it('moves a pair with a bad sidecar to failed/ and stores nothing', async () => {
		const { svc, watch, seen } = await setup('move');
		pair(watch, 'c', 'not json');
		await scanFolders(svc, seen);
		svc.clock.advance(1000);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		expect(fs.readdirSync(path.join(watch, 'failed')).sort()).toEqual(['c.json', 'c.wav']);
		const row = await svc.db.selectFrom('folder_ingested').selectAll().executeTakeFirstOrThrow();
		expect(row).toMatchObject({ status: 400, reply: expect.stringMatching(/^bad JSON/) });
	});
});

describe('folder ingest of SDRTrunk recordings from an admin’s folder (manual clock)', () => {
	const TAGS = {
		talkgroup: 52198,
		talkgroupAlias: 'Fire Dispatch',
		radio: 1612345,
		radioAlias: 'Engine 5',
		system: 'Metro',
		date: '2024-06-15 14:30:22.123',
		frequency: 851012500
	};

	async function sdrSetup(mode: 'leave' | 'move') {
		const svc = await testServices();
		const { id: apiKeyId } = await createApiKey(svc, { name: 'sdrtrunk' });
		const watch = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sdr-watch-'));
		const made = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sdr-made-'));
		const folder = { path: watch, format: 'sdrtrunk' as const, system: 8, apiKeyId, mode };
		const id = await createWatchFolder(svc, { ...folder, enabled: true });
		const deps = { ...svc, config: { ...svc.config, watchSettleMs: 1000 } };
		return { svc: deps, watch, made, id, apiKeyId, seen: new Map<string, Seen>() };
	}
	const folderEvents = async (svc: Pick<TestServices, 'db'>) =>
		(await svc.db.selectFrom('events').select(['type', 'data']).orderBy('id').execute())
			.filter((e) => e.type.startsWith('folder.'))
			.map((e) => ({ type: e.type, ...JSON.parse(e.data) }));

	it('waits while the MP3 grows, imports it once with its tags, and not again after a restart', async () => {
		const { svc, watch, made, seen } = await sdrSetup('leave');
		const full = fs.readFileSync(makeSdrtrunkRecording(made, TAGS));
		const file = path.join(watch, sdrtrunkFileName(TAGS, 'mp3'));
		fs.writeFileSync(file, full.subarray(0, 400));
		await scanFolders(svc, seen);
		svc.clock.advance(900);
		fs.appendFileSync(file, full.subarray(400));
		await scanFolders(svc, seen);
		svc.clock.advance(900);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0); // changed 900 ms ago: still being written
		svc.clock.advance(100);
		await scanFolders(svc, seen);
		const calls = await svc.db
			.selectFrom('calls')
			.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
			.innerJoin('systems', 'systems.id', 'calls.system_id')
			.select([
				'calls.date_time',
				'calls.frequency',
				'calls.sources',
				'calls.api_key_id',
				'talkgroups.talkgroup_ref',
				'talkgroups.label',
				'systems.system_ref',
				'systems.label as system_label'
			])
			.execute();
		expect(calls).toHaveLength(1);
		expect(calls[0]).toMatchObject({
			date_time: Math.floor(new Date(2024, 5, 15, 14, 30, 22).getTime() / 1000) * 1000,
			frequency: 851012500,
			talkgroup_ref: 52198,
			label: 'Fire Dispatch',
			system_ref: 8,
			system_label: 'Metro'
		});
		expect(JSON.parse(calls[0].sources)).toEqual([
			expect.objectContaining({ src: 1612345, tag: 'Engine 5' })
		]);
		// A restart: a fresh scanner with no memory reads the folder_ingested rows instead.
		const fresh = new Map<string, Seen>();
		for (let i = 0; i < 3; i++) {
			await scanFolders(svc, fresh);
			svc.clock.advance(1000);
		}
		expect(await count(svc)).toBe(1);
		expect(fs.existsSync(file)).toBe(true); // left in place
		expect(await folderEvents(svc)).toEqual([
			expect.objectContaining({ type: 'folder.ingested', status: 200, folder: watch })
		]);
	});

	it('reports a file that is not audio, stores nothing, and moves it to failed/', async () => {
		const { svc, watch, seen } = await sdrSetup('move');
		const name = sdrtrunkFileName(TAGS, 'mp3');
		fs.writeFileSync(path.join(watch, name), 'this is not an mp3');
		await scanFolders(svc, seen);
		svc.clock.advance(1000);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		expect(fs.readdirSync(path.join(watch, 'failed'))).toEqual([name]);
		expect(await folderEvents(svc)).toEqual([
			expect.objectContaining({
				type: 'folder.rejected',
				file: name,
				status: 400,
				reply: 'unreadable recording: no MP3 or WAV audio found'
			})
		]);
	});

	it('answers as an upload would: a key that was deleted is refused (401), a disabled folder is not read', async () => {
		const { svc, watch, made, id, apiKeyId, seen } = await sdrSetup('leave');
		await updateWatchFolder(svc, id, { enabled: false });
		fs.copyFileSync(makeSdrtrunkRecording(made, TAGS, 'wav'), path.join(watch, 'a.wav'));
		for (let i = 0; i < 3; i++) {
			await scanFolders(svc, seen);
			svc.clock.advance(1000);
		}
		expect(await folderEvents(svc)).toEqual([]);
		// Enabled again: read on the next scans, no restart.
		await deleteApiKey(svc.db, apiKeyId);
		await updateWatchFolder(svc, id, { enabled: true });
		await scanFolders(svc, seen);
		svc.clock.advance(1000);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		expect(await folderEvents(svc)).toEqual([
			expect.objectContaining({
				type: 'folder.rejected',
				status: 401,
				reply: 'Invalid API key for system 8 talkgroup 52198.'
			})
		]);
	});

	it('refuses a recording over the upload size limit without reading it (413, as an upload)', async () => {
		const { svc, watch, made, seen } = await sdrSetup('leave');
		await updateSettings(svc, { maxUploadBytes: 1024 });
		const file = path.join(watch, sdrtrunkFileName(TAGS, 'wav'));
		fs.copyFileSync(makeSdrtrunkRecording(made, TAGS, 'wav'), file);
		expect(fs.statSync(file).size).toBeGreaterThan(1024);
		await scanFolders(svc, seen);
		svc.clock.advance(1000);
		await scanFolders(svc, seen);
		expect(await count(svc)).toBe(0);
		expect(await folderEvents(svc)).toEqual([
			expect.objectContaining({
				type: 'folder.rejected',
				status: 413,
				reply: 'Audio larger than the 1024-byte upload limit.'
			})
		]);
	});
});

describe('folder ingest by several instances over one shared folder', () => {
	async function twoInstances() {
		const { svc, watch } = await setup('leave');
		const dbs = await createSharedTestDbs(2);
		const { key } = await createApiKey({ ...svc, db: dbs[0] }, { name: 'folder' });
		const config = { ...svc.config, watchKey: key, claimLeaseMs: 60_000 };
		const [a, b] = dbs.map((db) => ({ ...svc, db, config }));
		const calls = async () => (await a.db.selectFrom('calls').select('id').execute()).length;
		return { a, b, watch, calls };
	}

	it('two instances scanning at once import a pair exactly once', async () => {
		const { a, b, watch, calls } = await twoInstances();
		for (const name of ['d', 'e', 'f'])
			pair(watch, name, JSON.stringify({ talkgroup: 5, start_time: 1718145678 }));
		const [seenA, seenB] = [new Map<string, Seen>(), new Map<string, Seen>()];
		await Promise.all([scanFolders(a, seenA), scanFolders(b, seenB)]);
		a.clock.advance(1000);
		await Promise.all([scanFolders(a, seenA), scanFolders(b, seenB)]);
		await Promise.all([scanFolders(a, seenA), scanFolders(b, seenB)]);
		const rows = await a.db.selectFrom('folder_ingested').selectAll().execute();
		expect(rows.map((r) => r.status)).toEqual([200, 200, 200]);
		expect(await calls()).toBe(1); // one call: the three pairs carry the same recording
		const events = await a.db.selectFrom('events').select('type').execute();
		expect(events.filter((e) => e.type.startsWith('folder.'))).toHaveLength(3);
	});

	it('a pair claimed by an instance that crashed is imported by another once the lease runs out', async () => {
		const { a, b, watch, calls } = await twoInstances();
		pair(watch, 'g', JSON.stringify({ talkgroup: 5, start_time: 1718145678 }));
		const audio = path.join(watch, 'g.wav');
		const stat = fs.statSync(audio);
		await a.db
			.insertInto('folder_ingested')
			.values({
				path: audio,
				size: stat.size,
				mtime_ms: Math.floor(stat.mtimeMs),
				status: 0,
				reply: '',
				at: a.clock.now()
			})
			.execute();
		const seen = new Map<string, Seen>();
		await scanFolders(b, seen);
		b.clock.advance(60_000);
		await scanFolders(b, seen);
		expect(await calls()).toBe(0); // the claim is still within its lease
		b.clock.advance(1);
		await scanFolders(b, seen);
		expect(await calls()).toBe(1);
		const row = await b.db.selectFrom('folder_ingested').selectAll().executeTakeFirstOrThrow();
		expect(row).toMatchObject({ status: 200, at: b.clock.now() });
	});
});

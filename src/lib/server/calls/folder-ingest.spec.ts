import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSharedTestDbs } from '../core/db';
import { testServices } from '../testing';
import { createApiKey } from './upload-keys';
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
			watchDirs: [{ dir: watch, system: 3 }],
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
const count = async (svc: Awaited<ReturnType<typeof setup>>['svc']) =>
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

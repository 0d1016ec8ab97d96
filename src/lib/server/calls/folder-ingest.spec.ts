import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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

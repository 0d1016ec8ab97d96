import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { storeCall } from './ingest';
import { isPostgres } from '../core/db/dialect';
import { incomingDir, sweepIncoming } from './storage';
import { filesUnder, incomingCall } from './test-support';
import { testServices } from '../testing';

describe('storeCall', () => {
	it('stores the row and moves the file to YYYY/MM/DD/<id>.<ext>', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const call = incomingCall(deps.config.recordingsDir);
		const result = await storeCall(deps, call, 2000);
		expect(result.status).toBe('stored');
		const row = await deps.db.selectFrom('calls').selectAll().executeTakeFirstOrThrow();
		expect(row.audio_path).toBe(`2024/06/15/${call.audio.fileId}.wav`);
		expect(filesUnder(deps.config.recordingsDir)).toEqual([`2024/06/15/${call.audio.fileId}.wav`]);
		expect(await deps.db.selectFrom('units').select(['unit_ref', 'alias']).execute()).toEqual([
			{ unit_ref: 1234, alias: 'Engine 5' }
		]);
	});

	it('answers duplicate for the same system + talkgroup inside the window only', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const base = Date.UTC(2024, 5, 15, 11);
		expect(
			(await storeCall(deps, incomingCall(deps.config.recordingsDir, { dateTime: base }), 2000))
				.status
		).toBe('stored');
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: base + 1999 }),
					2000
				)
			).status
		).toBe('duplicate');
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: base - 2000 }),
					2000
				)
			).status
		).toBe('duplicate');
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: base + 2001 }),
					2000
				)
			).status
		).toBe('stored');
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: base, talkgroupRef: 101 }),
					2000
				)
			).status
		).toBe('stored');
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: base, systemRef: 2 }),
					2000
				)
			).status
		).toBe('stored');
		expect(
			await deps.db
				.selectFrom('calls')
				.select((eb) => eb.fn.countAll().as('n'))
				.executeTakeFirst()
		).toEqual({ n: 4 });
	});

	it('stores uploads that arrive together in one transaction (SQLite), still catching a duplicate among them', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const transactions = vi.spyOn(deps.db, 'transaction');
		const base = Date.UTC(2024, 5, 15, 11);
		const dir = deps.config.recordingsDir;
		const results = await Promise.all([
			storeCall(deps, incomingCall(dir, { dateTime: base }), 2000),
			storeCall(deps, incomingCall(dir, { dateTime: base + 500 }), 2000), // same call again
			storeCall(deps, incomingCall(dir, { dateTime: base, talkgroupRef: 200 }), 2000)
		]);
		// PostgreSQL: each its own transaction under the system's lock; either copy may win.
		const pg = isPostgres(deps.db);
		expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'stored', 'stored']);
		if (!pg) expect(results.map((r) => r.status)).toEqual(['stored', 'duplicate', 'stored']);
		expect(transactions).toHaveBeenCalledTimes(pg ? 3 : 1);
		const ids = results.flatMap((r) => (r.status === 'stored' ? [r.callId] : []));
		const pubs = await deps.db
			.selectFrom('call_publications')
			.select(['call_id', 'seq'])
			.orderBy('seq')
			.execute();
		// Publication order = id order. (On PostgreSQL the uploads take the system's lock in any
		// order, so the ids need not follow the order of `results`.)
		expect(pubs.map((p) => p.call_id)).toEqual([...ids].sort((a, b) => a - b));
		expect(filesUnder(dir).filter((f) => !f.startsWith('.incoming'))).toHaveLength(2);
	});

	it('fills blank labels later but never overwrites an admin edit', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const t = Date.UTC(2024, 5, 15, 11);
		await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, {
				dateTime: t,
				systemLabel: '',
				talkgroupLabel: '',
				talkgroupTag: '',
				units: [{ ref: 9, alias: '' }]
			}),
			0
		);
		await deps.db.updateTable('talkgroups').set({ name: 'Edited by admin' }).execute();
		await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, {
				dateTime: t + 60_000,
				systemLabel: 'County',
				talkgroupLabel: 'FD1',
				talkgroupName: 'Other',
				talkgroupTag: 'Fire Tac',
				units: [{ ref: 9, alias: 'Medic 9' }]
			}),
			0
		);
		expect(await deps.db.selectFrom('systems').select('label').executeTakeFirst()).toEqual({
			label: 'County'
		});
		expect(
			await deps.db.selectFrom('talkgroups').select(['label', 'name', 'tag']).executeTakeFirst()
		).toEqual({
			label: 'FD1',
			name: 'Edited by admin',
			tag: 'Fire Tac'
		});
		expect(await deps.db.selectFrom('units').select('alias').executeTakeFirst()).toEqual({
			alias: 'Medic 9'
		});
	});

	it('refuses unknown talkgroups when the system does not auto-populate', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		await storeCall(deps, incomingCall(deps.config.recordingsDir), 0);
		await deps.db.updateTable('systems').set({ auto_populate: 0 }).execute();
		const call = incomingCall(deps.config.recordingsDir, {
			talkgroupRef: 555,
			dateTime: Date.UTC(2024, 5, 15, 11, 5)
		});
		expect((await storeCall(deps, call, 0)).status).toBe('unknown-talkgroup');
		expect(await deps.db.selectFrom('talkgroups').select('talkgroup_ref').execute()).toEqual([
			{ talkgroup_ref: 100 }
		]);
		// A known talkgroup still works.
		expect(
			(
				await storeCall(
					deps,
					incomingCall(deps.config.recordingsDir, { dateTime: Date.UTC(2024, 5, 15, 11, 6) }),
					0
				)
			).status
		).toBe('stored');
	});

	it('takes the row back when the file cannot be moved into place', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		// A file where the day folder should be makes mkdir fail.
		fs.mkdirSync(path.join(deps.config.recordingsDir, '2024', '06'), { recursive: true });
		fs.writeFileSync(path.join(deps.config.recordingsDir, '2024', '06', '15'), 'in the way');
		await expect(storeCall(deps, incomingCall(deps.config.recordingsDir), 0)).rejects.toThrow();
		expect(await deps.db.selectFrom('calls').select('id').execute()).toEqual([]);
	});
});

describe('sweepIncoming', () => {
	it('finishes a committed upload and deletes every other leftover', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const committed = incomingCall(deps.config.recordingsDir);
		// Simulate a crash after the commit, before the rename: the row exists, the file is still incoming.
		await deps.db
			.insertInto('systems')
			.values({ system_ref: 1, label: '', created_at: 0 })
			.execute();
		await deps.db
			.insertInto('talkgroups')
			.values({
				system_id: 1,
				talkgroup_ref: 1,
				label: '',
				name: '',
				group_name: '',
				tag: '',
				created_at: 0
			})
			.execute();
		await deps.db
			.insertInto('calls')
			.values({
				system_id: 1,
				talkgroup_id: 1,
				date_time: committed.dateTime,
				frequency: null,
				duration: 1,
				audio_path: `2024/06/15/${committed.audio.fileId}.wav`,
				audio_type: 'audio/wav',
				audio_size: 100,
				audio_name: 'a.wav',
				source: null,
				frequencies: '[]',
				sources: '[]',
				patches: '[]',
				api_key_id: null,
				created_at: 0
			})
			.execute();
		const orphan = incomingCall(deps.config.recordingsDir);
		fs.writeFileSync(path.join(incomingDir(deps.config.recordingsDir), 'junk.tmp'), 'x');

		expect(await sweepIncoming(deps.db, deps.config.recordingsDir)).toEqual({
			completed: 1,
			removed: 2
		});
		expect(fs.existsSync(orphan.audio.tmpPath)).toBe(false);
		expect(filesUnder(deps.config.recordingsDir)).toEqual([
			`2024/06/15/${committed.audio.fileId}.wav`
		]);
	});

	it('on a shared directory, leaves files written since `settledBefore` (another instance’s uploads)', async () => {
		const deps = await testServices();
		const dir = incomingDir(deps.config.recordingsDir);
		const inFlight = incomingCall(deps.config.recordingsDir);
		const old = path.join(dir, 'left-by-a-crash.tmp');
		fs.writeFileSync(old, 'x');
		const hourAgo = new Date(Date.now() - 3_600_000);
		fs.utimesSync(old, hourAgo, hourAgo);

		const settledBefore = Date.now() - 900_000;
		expect(await sweepIncoming(deps.db, deps.config.recordingsDir, { settledBefore })).toEqual({
			completed: 0,
			removed: 1
		});
		expect(fs.existsSync(inFlight.audio.tmpPath)).toBe(true);
		expect(fs.existsSync(old)).toBe(false);
	});
});

import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testServices, type TestServices } from '../testing';
import { isPostgres } from '../core/db/dialect';
import type { DB } from '../core/db';
import { storeCall } from '../calls/ingest';
import { filesUnder, incomingCall } from '../calls/test-support';
import { seedSystem } from './test-support';
import { deleteSystem, deleteTalkgroup } from './systems';

// An upload resolves its system and talkgroup, then an admin deletes one of them before the
// upload has written its call. The upload is held at that point (calls/ingest.ts ingestHooks),
// the delete is started, and the upload goes on once the delete has either finished or is
// waiting for it. Whatever the database, the upload must land whole (row and file) and the
// delete must then refuse, since the system or talkgroup has a call.

type Seeded = { systemId: number; talkgroupIds: number[] };

function opened() {
	let open!: () => void;
	const promise = new Promise<void>((resolve) => (open = resolve));
	return { open, promise };
}

/**
 * Resolves when `work` has settled or the database shows it waiting for a lock. PostgreSQL: a
 * session of this database waiting on a lock (an advisory lock or a row's transaction). SQLite runs
 * one transaction at a time on its one connection, so a delete started while the upload's
 * transaction is open cannot begin before it ends: there is no wait to observe.
 */
async function settledOrWaiting(db: DB, work: { settled: boolean }): Promise<void> {
	if (!isPostgres(db)) return;
	while (!work.settled) {
		const { rows } = await sql<{ n: number }>`
			select count(*)::int as n from pg_stat_activity
			where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
		if (rows[0].n > 0) return;
		await new Promise((resolve) => setImmediate(resolve));
	}
}

async function race(remove: (deps: TestServices, seeded: Seeded) => Promise<void>) {
	const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
	const seeded = await seedSystem(deps.db, 1, 'County', [100]);
	const resolved = opened();
	const release = opened();
	const held = {
		...deps,
		ingestHooks: {
			resolved: async () => {
				resolved.open();
				await release.promise;
			}
		}
	};
	// Labels the system and talkgroup already have: the upload writes no row before its call.
	const call = incomingCall(deps.config.recordingsDir, {
		talkgroupLabel: 'TG 100',
		talkgroupName: '',
		talkgroupGroup: '',
		talkgroupTag: ''
	});
	const upload = storeCall(held, call, 2000).then(
		(result) => ({ result }),
		(error: unknown) => ({ error })
	);
	await resolved.promise;
	const removal = {
		settled: false,
		code: remove(deps, seeded).then(
			() => 'deleted',
			(err: { code?: string }) => err.code ?? String(err)
		)
	};
	void removal.code.finally(() => (removal.settled = true));
	await settledOrWaiting(deps.db, removal);
	release.open();
	return { deps, seeded, upload: await upload, refusal: await removal.code };
}

async function landedWhole(deps: TestServices) {
	const rows = await deps.db.selectFrom('calls').select(['id', 'audio_path']).execute();
	expect(rows).toHaveLength(1);
	// The stored file and nothing else: no orphan, no temp file left in .incoming.
	expect(filesUnder(deps.config.recordingsDir)).toEqual([rows[0].audio_path]);
}

describe('deleting a system or talkgroup while an upload to it is under way', () => {
	it('deleteSystem: the upload lands whole first, then the delete refuses (CONFLICT)', async () => {
		const { deps, seeded, upload, refusal } = await race((deps, s) =>
			deleteSystem(deps, s.systemId)
		);
		expect(upload).toEqual({
			result: expect.objectContaining({ status: 'stored', systemId: seeded.systemId })
		});
		expect(refusal).toBe('CONFLICT');
		await landedWhole(deps);
		expect(await deps.db.selectFrom('systems').select('id').execute()).toEqual([
			{ id: seeded.systemId }
		]);
	});

	it('deleteTalkgroup: the upload lands whole first, then the delete refuses (CONFLICT)', async () => {
		const { deps, seeded, upload, refusal } = await race((deps, s) =>
			deleteTalkgroup(deps, s.talkgroupIds[0])
		);
		expect(upload).toEqual({
			result: expect.objectContaining({ status: 'stored', talkgroupId: seeded.talkgroupIds[0] })
		});
		expect(refusal).toBe('CONFLICT');
		await landedWhole(deps);
		expect(await deps.db.selectFrom('talkgroups').select('id').execute()).toEqual([
			{ id: seeded.talkgroupIds[0] }
		]);
	});

	it('a delete that finds no call goes ahead, and the next upload is refused or starts afresh', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const seeded = await seedSystem(deps.db, 1, 'County', [100]);
		await deps.db.updateTable('systems').set({ auto_populate: 0 }).execute();
		await deleteTalkgroup(deps, seeded.talkgroupIds[0]);
		const call = incomingCall(deps.config.recordingsDir);
		expect(await storeCall(deps, call, 2000)).toEqual({ status: 'unknown-talkgroup' });
		await deleteSystem(deps, seeded.systemId);
		const again = await storeCall(deps, incomingCall(deps.config.recordingsDir), 2000);
		expect(again).toEqual(expect.objectContaining({ status: 'stored' }));
		expect(again.status === 'stored' && again.systemId).not.toBe(seeded.systemId);
	});
});

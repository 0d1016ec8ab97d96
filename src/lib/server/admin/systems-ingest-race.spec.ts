import { describe, expect, it } from 'vitest';
import { opened, testServices, type TestServices } from '../testing';
import { storeCall } from '../calls/ingest';
import { incomingCall } from '../calls/test-support';
import { seedSystem } from './test-support';
import { deleteSystem, deleteTalkgroup } from './systems';
import {
	callsAndFiles,
	callToSeeded,
	codeOrDone,
	settledOrWaiting,
	tracked
} from './ingest-race-support';

// An upload resolves its system and talkgroup, then an admin deletes one of them before the
// upload has written its call. The upload is held at that point (calls/ingest.ts ingestHooks),
// the delete is started, and the upload goes on once the delete has either finished or is
// waiting for it. Whatever the database, the upload must land whole (row and file) and the
// delete must then refuse, since the system or talkgroup has a call. (The other order, a
// delete that has counted no call before the upload commits: systems-ingest-race.pg.spec.ts.)

type Seeded = { systemId: number; talkgroupIds: number[] };

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
	const upload = tracked(storeCall(held, callToSeeded(deps.config.recordingsDir), 2000));
	await resolved.promise;
	const removal = tracked(remove(deps, seeded));
	await settledOrWaiting(deps.db, removal);
	release.open();
	return { deps, seeded, upload: await upload.outcome, refusal: await codeOrDone(removal) };
}

/** One call row, and its file the only file: no orphan, no temp file left in .incoming. */
async function landedWhole(deps: TestServices) {
	const { calls, files } = await callsAndFiles(deps);
	expect(calls).toHaveLength(1);
	expect(files).toEqual([calls[0].audio_path]);
}

describe('deleting a system or talkgroup while an upload to it is under way', () => {
	it('deleteSystem: the upload lands whole first, then the delete refuses (CONFLICT)', async () => {
		const { deps, seeded, upload, refusal } = await race((deps, s) =>
			deleteSystem(deps, s.systemId)
		);
		expect(upload).toEqual({
			value: expect.objectContaining({ status: 'stored', systemId: seeded.systemId })
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
			value: expect.objectContaining({ status: 'stored', talkgroupId: seeded.talkgroupIds[0] })
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

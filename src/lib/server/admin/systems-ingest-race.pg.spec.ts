import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { opened, testServices } from '../testing';
import { storeCall } from '../calls/ingest';
import { seedSystem } from './test-support';
import { deleteSystem } from './systems';
import {
	callsAndFiles,
	callToSeeded,
	codeOrDone,
	settledOrWaiting,
	tracked
} from './ingest-race-support';

// PostgreSQL only (concurrent transactions): the delete has looked for calls and found none,
// and an upload to the system commits its call before the delete removes the system. Without
// the ingest lock the delete then cascades the committed call away, leaving its audio file and a
// recorder told "imported". The delete is held between its count and its `delete` by another
// transaction holding the system's row `for no key update`: that blocks the delete (which needs
// the row outright) and not an upload (whose foreign key only needs `for key share`).

describe('deleteSystem that has counted no call, racing an upload (PostgreSQL)', () => {
	it('the upload waits for the delete and starts the system afresh: no call lost, no orphan file', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		const seeded = await seedSystem(deps.db, 1, 'County', [100]);
		const locked = opened();
		const release = opened();
		const holder = deps.db.transaction().execute(async (trx) => {
			await sql`select id from systems where id = ${seeded.systemId} for no key update`.execute(
				trx
			);
			locked.open();
			await release.promise;
		});
		await locked.promise;
		const removal = tracked(deleteSystem(deps, seeded.systemId));
		await settledOrWaiting(deps.db, removal);
		const upload = tracked(storeCall(deps, callToSeeded(deps.config.recordingsDir), 2000));
		// The upload either lands now (nothing stops it) or waits for the delete (a second waiter).
		await settledOrWaiting(deps.db, upload, 2);
		release.open();
		await holder;

		expect(await codeOrDone(removal)).toBe('done');
		const stored = await upload.outcome;
		expect(stored).toEqual({ value: expect.objectContaining({ status: 'stored' }) });
		// Old code: the row is gone (cascaded) and its file is left behind.
		const { calls, files } = await callsAndFiles(deps);
		expect(calls).toHaveLength(1);
		expect(files).toEqual([calls[0].audio_path]);
		const systemId = 'value' in stored && stored.value.status === 'stored' && stored.value.systemId;
		expect(calls[0].system_id).toBe(systemId);
		expect(systemId).not.toBe(seeded.systemId);
	});
});

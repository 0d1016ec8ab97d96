import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { updateSettings } from '../core/settings';
import { storeCall } from './ingest';
import { pruneOldCalls } from './retention';
import { filesUnder, incomingCall } from './test-support';
import { testServices } from '../testing';

const DAY = 86_400_000;

describe('pruneOldCalls', () => {
	it('keeps everything while retentionDays is 0', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, { dateTime: deps.clock.now() - 400 * DAY }),
			0
		);
		expect(await pruneOldCalls(deps)).toEqual({ deleted: 0 });
		expect(filesUnder(deps.config.recordingsDir)).toHaveLength(1);
	});

	it('deletes rows older than the setting, with their files and emptied folders', async () => {
		const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
		await updateSettings(deps, { retentionDays: 7 });
		const now = deps.clock.now();
		const old = incomingCall(deps.config.recordingsDir, { dateTime: now - 8 * DAY });
		const edge = incomingCall(deps.config.recordingsDir, {
			dateTime: now - 7 * DAY + 1000,
			talkgroupRef: 2
		});
		const fresh = incomingCall(deps.config.recordingsDir, { dateTime: now - DAY, talkgroupRef: 3 });
		for (const c of [old, edge, fresh]) expect((await storeCall(deps, c, 0)).status).toBe('stored');
		const bookmarkUser = await deps.db
			.insertInto('users')
			.values({
				username: 'u',
				password_hash: 'x',
				role: 'listener',
				expires_at: null,
				created_at: 0,
				updated_at: 0
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		await deps.db
			.insertInto('bookmarks')
			.values({ user_id: bookmarkUser.id, call_id: 1, created_at: 0 })
			.execute();

		expect(await pruneOldCalls(deps)).toEqual({ deleted: 1 });
		expect(
			(await deps.db.selectFrom('calls').select('date_time').orderBy('date_time').execute()).map(
				(r) => r.date_time
			)
		).toEqual([edge.dateTime, fresh.dateTime]);
		const files = filesUnder(deps.config.recordingsDir);
		expect(files).toHaveLength(2);
		expect(files.some((f) => f.includes(old.audio.fileId))).toBe(false);
		expect(fs.existsSync(`${deps.config.recordingsDir}/2024/06/07`)).toBe(false);

		// A day later the edge call is old too.
		deps.clock.advance(DAY);
		expect(await pruneOldCalls(deps)).toEqual({ deleted: 1 });
		expect(filesUnder(deps.config.recordingsDir)).toEqual([
			expect.stringContaining(fresh.audio.fileId)
		]);
	});
});

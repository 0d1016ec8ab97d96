import { describe, expect, it } from 'vitest';
import { storeCall } from './ingest';
import { decodeCursor, searchCalls, setBookmark, visibleSystems } from './search';
import { incomingCall } from './test-support';
import { NO_ACCESS } from './access';
import { testServices } from '../testing';

const ALL = { all: true } as const;

async function seeded() {
	const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
	const t0 = Date.UTC(2024, 5, 15, 10);
	// Two systems, three talkgroups, 12 calls a minute apart; two share a timestamp.
	const plan = [
		{ systemRef: 1, talkgroupRef: 100, talkgroupGroup: 'Fire', talkgroupTag: 'Dispatch' },
		{ systemRef: 1, talkgroupRef: 200, talkgroupGroup: 'Police', talkgroupTag: 'Law' },
		{ systemRef: 2, talkgroupRef: 100, talkgroupGroup: 'EMS', talkgroupTag: 'Medical' }
	];
	for (let i = 0; i < 12; i++) {
		const p = plan[i % 3];
		const dateTime = i === 11 ? t0 + 10 * 60_000 : t0 + i * 60_000;
		const unit = 1000 + i;
		await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, {
				...p,
				dateTime,
				source: unit,
				sources: [
					{ pos: 0, src: unit },
					{ pos: 1, src: 77 }
				],
				units: []
			}),
			0
		);
	}
	const user = await deps.db
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
	return { deps, t0, userId: user.id };
}

describe('searchCalls', () => {
	it('pages newest first with a cursor that stays stable while calls arrive', async () => {
		const { deps, t0 } = await seeded();
		const first = await searchCalls(deps.db, ALL, null, { limit: 5 });
		expect(first.items.map((c) => c.dateTime.getTime())).toEqual(
			[...first.items.map((c) => c.dateTime.getTime())].sort((a, b) => b - a)
		);
		expect(first.nextCursor).not.toBeNull();
		// New calls arrive (newer than everything) between pages.
		await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, { dateTime: t0 + 3_600_000, talkgroupRef: 300 }),
			0
		);
		const seen = first.items.map((c) => c.id);
		let cursor = first.nextCursor;
		while (cursor) {
			const page = await searchCalls(deps.db, ALL, null, { limit: 5, cursor });
			seen.push(...page.items.map((c) => c.id));
			cursor = page.nextCursor;
		}
		expect(seen).toHaveLength(12);
		expect(new Set(seen).size).toBe(12);
		// Ties on date_time are ordered by id, both on the same and across pages.
		const tied = seen.filter((id) => id === 11 || id === 12);
		expect(tied).toEqual([12, 11]);
	});

	it('filters by radio numbers, groups, tags, unit and time', async () => {
		const { deps, t0 } = await seeded();
		const ids = async (f: Parameters<typeof searchCalls>[3]) =>
			(await searchCalls(deps.db, ALL, null, f)).items.map((c) => c.id).sort((a, b) => a - b);
		expect(await ids({ limit: 100, systems: [2] })).toEqual([3, 6, 9, 12]);
		expect(await ids({ limit: 100, talkgroups: [100] })).toEqual([1, 3, 4, 6, 7, 9, 10, 12]);
		expect(await ids({ limit: 100, systems: [1], talkgroups: [100] })).toEqual([1, 4, 7, 10]);
		expect(await ids({ limit: 100, groups: ['Police'] })).toEqual([2, 5, 8, 11]);
		expect(await ids({ limit: 100, tags: ['Medical', 'Law'] })).toEqual([2, 3, 5, 6, 8, 9, 11, 12]);
		expect(await ids({ limit: 100, unit: 1004 })).toEqual([5]);
		expect(await ids({ limit: 100, unit: 77 })).toHaveLength(12); // heard second, found through sources
		expect(
			await ids({ limit: 100, from: new Date(t0 + 9 * 60_000), to: new Date(t0 + 10 * 60_000) })
		).toEqual([10, 11, 12]);
		const call = (await searchCalls(deps.db, ALL, null, { limit: 1, systems: [2] })).items[0];
		expect(call.system).toEqual({ id: 2, label: 'County' });
		expect(call.talkgroup).toMatchObject({ id: 100, group: 'EMS', tag: 'Medical' });
	});

	it('honours the access scope and bookmarks', async () => {
		const { deps, userId } = await seeded();
		expect((await searchCalls(deps.db, NO_ACCESS, userId, { limit: 100 })).items).toEqual([]);
		const onlySystem2 = {
			all: false as const,
			systemIds: new Set([2]),
			talkgroupIds: new Set<number>()
		};
		expect(
			(await searchCalls(deps.db, onlySystem2, userId, { limit: 100 })).items.every(
				(c) => c.system.id === 2
			)
		).toBe(true);
		expect(await setBookmark(deps, onlySystem2, userId, 1)).toBeNull(); // a call they may not hear
		expect(await setBookmark(deps, ALL, userId, 4)).toEqual({ bookmarked: true });
		expect(await setBookmark(deps, ALL, userId, 5, true)).toEqual({ bookmarked: true });
		expect(await setBookmark(deps, ALL, userId, 5, true)).toEqual({ bookmarked: true });
		const marked = await searchCalls(deps.db, ALL, userId, { limit: 100, bookmarked: true });
		expect(marked.items.map((c) => [c.id, c.bookmarked])).toEqual([
			[5, true],
			[4, true]
		]);
		expect(await setBookmark(deps, ALL, userId, 4)).toEqual({ bookmarked: false });
		expect(
			(await searchCalls(deps.db, ALL, userId, { limit: 100, bookmarked: true })).items.map(
				(c) => c.id
			)
		).toEqual([5]);
		expect((await searchCalls(deps.db, ALL, null, { limit: 100, bookmarked: true })).items).toEqual(
			[]
		);
	});

	it('rejects a forged cursor', () => {
		expect(() => decodeCursor('not-a-cursor')).toThrow('cursor: invalid');
	});
});

describe('visibleSystems', () => {
	it('lists what the scope may hear, by radio number', async () => {
		const { deps } = await seeded();
		expect(
			(await visibleSystems(deps.db, ALL)).map((s) => [s.id, s.talkgroups.map((t) => t.id)])
		).toEqual([
			[1, [100, 200]],
			[2, [100]]
		]);
		const tg = await deps.db
			.selectFrom('talkgroups')
			.select('id')
			.where('talkgroup_ref', '=', 200)
			.executeTakeFirstOrThrow();
		const scope = { all: false as const, systemIds: new Set([2]), talkgroupIds: new Set([tg.id]) };
		expect(
			(await visibleSystems(deps.db, scope)).map((s) => [s.id, s.talkgroups.map((t) => t.id)])
		).toEqual([
			[1, [200]],
			[2, [100]]
		]);
		expect(await visibleSystems(deps.db, NO_ACCESS)).toEqual([]);
	});
});

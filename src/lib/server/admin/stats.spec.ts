import { describe, expect, it } from 'vitest';
import { Presence } from '../live/presence';
import { seedCall, seedSystem } from './test-support';
import { dashboard, startOfUtcWeek } from './stats';
import { testServices } from '../testing';

const at = (iso: string) => Date.parse(iso);

describe('dashboard', () => {
	it('counts calls by UTC day and ISO week, buckets the last 24 hours per system and ranks talkgroups', async () => {
		const deps = await testServices();
		deps.clock.set(at('2026-01-07T10:30:00Z')); // a Wednesday
		const a = await seedSystem(deps.db, 100, 'County', [1, 2]);
		const b = await seedSystem(deps.db, 200, 'City', [9]);
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], at('2026-01-07T10:10:00Z'), 500); // this hour
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], at('2026-01-07T00:00:00Z'), 500); // first instant of today
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], at('2026-01-06T23:59:59.999Z'), 500); // yesterday
		await seedCall(deps.db, a.systemId, a.talkgroupIds[1], at('2026-01-06T10:59:00Z'), 500); // 23.5 h ago, before the first bucket
		await seedCall(deps.db, a.systemId, a.talkgroupIds[1], at('2026-01-05T00:00:00Z'), 500); // Monday: this week
		await seedCall(deps.db, b.systemId, b.talkgroupIds[0], at('2026-01-04T23:59:00Z'), 500); // Sunday: last week
		await seedCall(deps.db, b.systemId, b.talkgroupIds[0], at('2026-01-07T10:20:00Z'), 1500);

		const presence = new Presence();
		presence.connected('s1');
		presence.connected('s1');
		presence.connected('s2');
		const result = await dashboard({
			db: deps.db,
			clock: deps.clock,
			presence,
			startedAt: deps.clock.now() - 90_500,
			pipeline: { ffmpeg: null, queueLength: async () => 0 },
			config: { ffmpegPath: null },
			passwords: deps.passwords
		});

		expect(result.calls).toEqual({ today: 3, thisWeek: 6, total: 7 });
		expect(result.todayStartsAt.toISOString()).toBe('2026-01-07T00:00:00.000Z');
		expect(result.weekStartsAt.toISOString()).toBe('2026-01-05T00:00:00.000Z');
		expect(result.activeListeners).toBe(2);
		expect(result.uptimeSec).toBe(90);
		expect(result.storage.audioBytes).toBe(6 * 500 + 1500);
		expect(result.storage.databaseBytes).toBeGreaterThan(0);
		expect(result.storage.totalBytes).toBe(
			result.storage.audioBytes + result.storage.databaseBytes
		);

		expect(result.activity.hours).toHaveLength(24);
		expect(result.activity.hours[0].toISOString()).toBe('2026-01-06T11:00:00.000Z');
		expect(result.activity.hours[23].toISOString()).toBe('2026-01-07T10:00:00.000Z');
		const county = result.activity.systems.find((s) => s.systemRef === 100)!;
		const city = result.activity.systems.find((s) => s.systemRef === 200)!;
		const expected = Array(24).fill(0);
		expected[12] = 1; // 23:00 yesterday
		expected[13] = 1; // 00:00 today
		expected[23] = 1; // 10:00 today
		expect(county.counts).toEqual(expected);
		expect(county.total).toBe(3);
		expect(city.counts[23]).toBe(1);
		expect(city.total).toBe(1);

		expect(result.busiestTalkgroups.map((t) => [t.talkgroupRef, t.system.label, t.calls])).toEqual([
			[1, 'County', 3],
			[2, 'County', 1],
			[9, 'City', 1]
		]);
	});

	it('starts the week on Monday, also when today is Sunday or Monday', () => {
		expect(new Date(startOfUtcWeek(at('2026-01-11T23:00:00Z'))).toISOString()).toBe(
			'2026-01-05T00:00:00.000Z'
		);
		expect(new Date(startOfUtcWeek(at('2026-01-12T00:00:00Z'))).toISOString()).toBe(
			'2026-01-12T00:00:00.000Z'
		);
	});

	it('reports zeros on an empty database', async () => {
		const deps = await testServices();
		const result = await dashboard({
			db: deps.db,
			clock: deps.clock,
			presence: new Presence(),
			startedAt: deps.clock.now(),
			pipeline: { ffmpeg: null, queueLength: async () => 0 },
			config: { ffmpegPath: null },
			passwords: deps.passwords
		});
		expect(result.calls).toEqual({ today: 0, thisWeek: 0, total: 0 });
		expect(result.storage.audioBytes).toBe(0);
		expect(result.activity.systems).toEqual([]);
		expect(result.busiestTalkgroups).toEqual([]);
	});
});

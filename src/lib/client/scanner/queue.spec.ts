import { describe, expect, it } from 'vitest';
import type { Call } from './format';
import { jumpToLive, playbackRate, splitByAge } from './queue';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const call = (id: number, minutesAgo: number) =>
	({ id, dateTime: new Date(NOW - minutesAgo * 60_000) }) as Call;

describe('splitByAge', () => {
	it('drops exactly the calls recorded longer ago than the limit, keeping order', () => {
		const queue = [call(1, 10), call(2, 5.01), call(3, 4.99), call(4, 0)];
		const { kept, dropped } = splitByAge(queue, 5, NOW);
		expect(dropped.map((c) => c.id)).toEqual([1, 2]);
		expect(kept.map((c) => c.id)).toEqual([3, 4]);
	});

	it('keeps every call when there is no limit', () => {
		const queue = [call(1, 600), call(2, 0)];
		expect(splitByAge(queue, null, NOW)).toEqual({ kept: queue, dropped: [] });
	});
});

describe('jumpToLive', () => {
	it('plays the newest queued call and counts the other queued calls and the playing one', () => {
		const queue = [call(1, 3), call(2, 2), call(3, 1)];
		expect(jumpToLive(queue, call(9, 4))).toEqual({ play: queue[2], skipped: 3 });
		expect(jumpToLive(queue, null)).toEqual({ play: queue[2], skipped: 2 });
	});

	it('skips nothing with an empty queue, even while a call plays', () => {
		expect(jumpToLive([], call(9, 1))).toEqual({ play: null, skipped: 0 });
	});
});

describe('playbackRate', () => {
	const base = { speed: 1.25, autoSpeed: true, autoSpeedAbove: 3, autoSpeedRate: 1.5 };
	it('speeds up only while more than N calls wait', () => {
		expect(playbackRate(base, 3)).toBe(1.25);
		expect(playbackRate(base, 4)).toBe(1.5);
		expect(playbackRate({ ...base, autoSpeed: false }, 40)).toBe(1.25);
	});
	it('never slows a listener down who chose a higher speed', () => {
		expect(playbackRate({ ...base, speed: 2 }, 10)).toBe(2);
	});
});

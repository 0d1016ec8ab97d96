import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDb } from '../core/db';
import { ManualClock } from '../core/clock';
import { InProcessBus } from '../core/bus';
import { Presence } from './presence';
import { logPresenceChanges } from './presence-log';
import { eventsAfter } from '../core/event-log';

describe('logPresenceChanges', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('logs the count at most once per delay, and only when it changed', async () => {
		const deps = {
			db: await createTestDb(),
			clock: new ManualClock(),
			bus: new InProcessBus(),
			presence: new Presence()
		};
		const stop = logPresenceChanges(deps, 2_000);
		const logged = async () => (await eventsAfter(deps.db, 0, 100)).map((e) => [e.type, e.count]);

		deps.presence.connected('a');
		deps.presence.connected('b');
		deps.presence.disconnected('b');
		await vi.advanceTimersByTimeAsync(2_000);
		await vi.waitFor(async () => expect(await logged()).toEqual([['listeners.changed', 1]]));

		// A tab reconnecting (gone and back within the delay) logs nothing.
		deps.presence.disconnected('a');
		deps.presence.connected('a');
		await vi.advanceTimersByTimeAsync(2_000);
		await vi.waitFor(async () => expect(await logged()).toEqual([['listeners.changed', 1]]));

		deps.presence.disconnected('a');
		stop();
		await vi.advanceTimersByTimeAsync(2_000);
		await vi.waitFor(async () => expect(await logged()).toEqual([['listeners.changed', 1]]));
	});
});

import { describe, expect, it, vi } from 'vitest';
import { recordEventSoon } from './event-batch';
import { eventsAfter } from './event-log';
import { testServices } from '../testing';

describe('recordEventSoon', () => {
	it('writes the events of one turn in one transaction, in order, each with the time it was recorded', async () => {
		const deps = await testServices({}, { now: 1_000 });
		const transactions = vi.spyOn(deps.db, 'transaction');
		const first = recordEventSoon(deps, 'call.ingested', { callId: 1 });
		deps.clock.advance(5);
		const second = recordEventSoon(deps, 'call.ingested', { callId: 2 });
		const third = recordEventSoon(deps, 'upload.rejected', { status: 401 });
		expect(transactions).not.toHaveBeenCalled(); // nothing before the turn ends
		const ids = await Promise.all([first, second, third]);
		expect(transactions).toHaveBeenCalledTimes(1);
		expect(ids[1]).toBe(ids[0] + 1);
		expect(ids[2]).toBe(ids[1] + 1);
		const events = await eventsAfter(deps.db, 0, 10);
		expect(events.map((e) => [e.type, e.at, e.callId ?? e.status])).toEqual([
			['call.ingested', 1_000, 1],
			['call.ingested', 1_005, 2],
			['upload.rejected', 1_005, 401]
		]);
		// Announced once committed, one message per row.
		const announced = deps.published.filter((m) => m.topic === 'admin.event');
		expect(announced.map((m) => m.payload)).toEqual(ids.map((id) => ({ id })));
		// A later turn is a new transaction.
		await recordEventSoon(deps, 'call.ingested', { callId: 3 });
		expect(transactions).toHaveBeenCalledTimes(2);
	});

	it('rejects every event of a batch whose write fails, announcing none', async () => {
		const deps = await testServices();
		await deps.db.schema.dropTable('events').execute();
		const results = await Promise.allSettled([
			recordEventSoon(deps, 'call.ingested', { callId: 1 }),
			recordEventSoon(deps, 'call.ingested', { callId: 2 })
		]);
		expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
		expect(deps.published.filter((m) => m.topic === 'admin.event')).toEqual([]);
	});
});

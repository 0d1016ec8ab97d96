import { describe, expect, it, vi } from 'vitest';
import { testServices } from '../testing';
import { statementCounter } from '../../../../tests/helpers/statement-counter';
import { insertCall } from '../../../../tests/helpers/calls';
import { insertUserRow } from '../../../../tests/helpers/users';
import { createRule } from './rules';
import { startAlertDecisions } from './worker';

/** Resolves on the next `alert.raised`. */
const nextAlert = (svc: Awaited<ReturnType<typeof testServices>>) =>
	new Promise<number>((resolve) => {
		const off = svc.bus.subscribe('alert.raised', (p) => {
			off();
			resolve(p.id);
		});
	});

const listener = (svc: Awaited<ReturnType<typeof testServices>>) => insertUserRow(svc.db, 'ana');

const anyOnSystem1 = {
	name: 'All',
	sound: 'beep' as const,
	cooldownSeconds: 0,
	quietHours: null,
	systems: [1],
	talkgroups: [],
	units: [],
	groups: [],
	tags: [],
	emergency: false
};

describe('alert decision worker', () => {
	it('with no rule on the server, a stored call costs no database work', async () => {
		const svc = await testServices();
		const userId = await listener(svc);
		const counter = statementCounter();
		const deps = { ...svc, db: svc.db.withPlugin(counter) };
		const stop = startAlertDecisions(deps);
		await stop.ready;
		await new Promise((r) => setTimeout(r, 0));
		const idle = counter.count;
		for (let i = 0; i < 20; i++) {
			svc.bus.publish('call.ingested', { callId: await insertCall(svc.db) });
			await new Promise((r) => setTimeout(r, 0));
		}
		expect(counter.count).toBe(idle);
		// The first rule: calls stored before it raise nothing; the next one does.
		const raised = nextAlert(svc);
		await createRule({ ...deps }, userId, anyOnSystem1);
		const after = await insertCall(svc.db);
		svc.bus.publish('call.ingested', { callId: after });
		await raised;
		await stop();
		const alerts = await svc.db.selectFrom('alerts').select('call_id').execute();
		expect(alerts.map((r) => r.call_id)).toEqual([after]);
	});

	it('skips the archive on first start, decides each new call once, and carries on after a restart', async () => {
		const svc = await testServices();
		const userId = await listener(svc);
		await createRule(svc, userId, {
			name: 'All',
			sound: 'beep',
			cooldownSeconds: 0,
			quietHours: null,
			systems: [1],
			talkgroups: [],
			units: [],
			groups: [],
			tags: [],
			emergency: false
		});
		await insertCall(svc.db); // archive: before the first start
		let stop = startAlertDecisions(svc);
		await stop.ready;
		const first = nextAlert(svc);
		const a = await insertCall(svc.db);
		svc.bus.publish('call.ingested', { callId: a });
		await first;
		await stop();
		// Stored while the worker was down: decided at the next start, nothing twice.
		const b = await insertCall(svc.db);
		const second = nextAlert(svc);
		stop = startAlertDecisions(svc);
		await second;
		await stop();
		const alerts = await svc.db.selectFrom('alerts').select('call_id').orderBy('id').execute();
		expect(alerts.map((r) => r.call_id)).toEqual([a, b]);
	});

	it('under load, calls stored while it decides wait out the batch interval, then go in one batch', async () => {
		// Fake timers only: the database and the manual clock run as ever.
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const svc = await testServices({
				SQUELCH_ALERT_BATCH_MS: '500',
				SQUELCH_ALERTS_PER_MINUTE: '1000'
			});
			const userId = await listener(svc);
			await createRule(svc, userId, anyOnSystem1);
			const raised: number[] = [];
			svc.bus.subscribe('alert.raised', (p) => raised.push(p.id));
			const stop = startAlertDecisions(svc);
			await stop.ready;
			// A worker that has not decided for the batch interval decides at once.
			svc.clock.advance(500);
			const first = nextAlert(svc);
			svc.bus.publish('call.ingested', { callId: await insertCall(svc.db) });
			await first;
			const later: number[] = [];
			for (let i = 0; i < 5; i++) {
				later.push(await insertCall(svc.db));
				svc.bus.publish('call.ingested', { callId: later[i] });
			}
			await vi.advanceTimersByTimeAsync(499);
			expect(raised).toHaveLength(1);
			const batch = nextAlert(svc);
			await vi.advanceTimersByTimeAsync(1);
			await batch;
			// One decision (one transaction, one announcement) for the five calls.
			expect(raised).toHaveLength(2);
			const alerts = await svc.db.selectFrom('alerts').select('call_id').orderBy('id').execute();
			expect(alerts.map((r) => r.call_id).slice(1)).toEqual(later);
			await stop();
		} finally {
			vi.useRealTimers();
		}
	});
});

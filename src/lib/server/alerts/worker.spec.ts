import { describe, expect, it } from 'vitest';
import { testServices } from '../testing';
import { insertCall } from '../../../../tests/helpers/calls';
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

describe('alert decision worker', () => {
	it('skips the archive on first start, decides each new call once, and carries on after a restart', async () => {
		const svc = await testServices();
		const user = await svc.db
			.insertInto('users')
			.values({
				username: 'ana',
				password_hash: 'x',
				role: 'listener',
				created_at: 0,
				updated_at: 0
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		await svc.db.updateTable('users').set({ access_all: 1 }).execute();
		await createRule(svc, user.id, {
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
});

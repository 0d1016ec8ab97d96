import { beforeEach, describe, expect, it } from 'vitest';
import { testServices, codeOf } from '../testing';
import { insertCall } from '../../../../tests/helpers/calls';
import { decideAlerts, type AlertPayload } from './decide';
import { createRule, deleteRule, listRules, MAX_RULES_PER_USER, updateRule } from './rules';
import { ruleInput } from './test-support';
import { insertUserRow } from '../../../../tests/helpers/users';

type Svc = Awaited<ReturnType<typeof testServices>>;
let svc: Svc;
let raised: number[];

const addUser = (username: string, accessAll = 1, role: 'admin' | 'listener' = 'listener') =>
	insertUserRow(svc.db, username, { access_all: accessAll, role });

/** A stored call on system 1 with these talkgroup facts and units. */
async function call(talkgroupRef = 4200, units: number[] = [4214]) {
	const id = await insertCall(svc.db, { systemRef: 1, talkgroupRef });
	await svc.db
		.updateTable('calls')
		.set({
			source: units[0] ?? null,
			sources: JSON.stringify(units.map((src, pos) => ({ pos, src })))
		})
		.where('id', '=', id)
		.execute();
	return id;
}

async function alertsOf(userId: number): Promise<AlertPayload[]> {
	const rows = await svc.db
		.selectFrom('alerts')
		.select('data')
		.where('user_id', '=', userId)
		.orderBy('id')
		.execute();
	return rows.map((r) => JSON.parse(r.data));
}

beforeEach(async () => {
	svc = await testServices({ SQUELCH_ALERTS_PER_MINUTE: '3' });
	raised = [];
	svc.bus.subscribe('alert.raised', (p) => raised.push(p.id));
});

describe('alert rules', () => {
	it('are per user, bounded, validated, and only their owner changes them', async () => {
		const ana = await addUser('ana');
		const ben = await addUser('ben');
		const rule = await createRule(
			svc,
			ana,
			ruleInput({ talkgroups: [4200, 4200], tags: [' Fire ', ''] })
		);
		expect(rule).toMatchObject({ userId: ana, talkgroups: [4200], tags: ['Fire'] });
		expect(await listRules(svc.db, ben)).toEqual([]);
		expect(await codeOf(updateRule(svc, ben, rule.id, ruleInput({ units: [1] })))).toBe(
			'NOT_FOUND'
		);
		expect(await codeOf(deleteRule(svc, ben, rule.id))).toBe('NOT_FOUND');
		expect(await codeOf(createRule(svc, ana, ruleInput({})))).toBe('BAD_REQUEST');
		expect(await codeOf(createRule(svc, ana, ruleInput({ name: '  ', units: [1] })))).toBe(
			'BAD_REQUEST'
		);
		expect(
			await codeOf(
				createRule(
					svc,
					ana,
					ruleInput({
						units: [1],
						quietHours: { start: '22:00', end: '06:00', timeZone: 'Nowhere/Land' }
					})
				)
			)
		).toBe('BAD_REQUEST');
		const updated = await updateRule(svc, ana, rule.id, ruleInput({ name: 'Unit', units: [4214] }));
		expect(updated).toMatchObject({ name: 'Unit', units: [4214], talkgroups: [] });
		for (let i = 1; i < MAX_RULES_PER_USER; i++)
			await createRule(svc, ana, ruleInput({ units: [i] }));
		expect(await codeOf(createRule(svc, ana, ruleInput({ units: [9] })))).toBe('BAD_REQUEST');
		await deleteRule(svc, ana, rule.id);
		expect(await listRules(svc.db, ana)).toHaveLength(MAX_RULES_PER_USER - 1);
	});
});

describe('deciding alerts for a stored call', () => {
	it('raises one alert per matching rule with the payload, and announces it', async () => {
		const ana = await addUser('ana');
		const ben = await addUser('ben');
		await createRule(svc, ana, ruleInput({ name: 'Unit 4214', units: [4214] }));
		await createRule(svc, ben, ruleInput({ name: 'Other TG', talkgroups: [9999] }));
		const id = await call(4200, [4214]);
		const ids = await decideAlerts(svc, id);
		expect(ids).toHaveLength(1);
		expect(raised).toEqual(ids);
		expect(await alertsOf(ana)).toEqual([
			expect.objectContaining({
				callId: id,
				rule: expect.objectContaining({ name: 'Unit 4214' }),
				system: { id: 1, label: 'System 1' },
				talkgroup: { id: 4200, label: 'TG 4200' },
				unit: { id: 4214, alias: '' },
				suppressed: 0
			})
		]);
		expect(await alertsOf(ben)).toEqual([]);
	});

	it('only for calls the user may hear; a grant takes effect on the next call', async () => {
		const ana = await addUser('ana', 0);
		await createRule(svc, ana, ruleInput({ talkgroups: [4200] }));
		expect(await decideAlerts(svc, await call())).toEqual([]);
		const system = await svc.db.selectFrom('systems').select('id').executeTakeFirstOrThrow();
		await svc.db
			.insertInto('user_access')
			.values({ user_id: ana, system_id: system.id, talkgroup_id: null })
			.execute();
		expect(await decideAlerts(svc, await call())).toHaveLength(1);
		await svc.db.deleteFrom('user_access').execute();
		expect(await decideAlerts(svc, await call())).toEqual([]);
	});

	it('not for disabled or expired users', async () => {
		const ana = await addUser('ana');
		await createRule(svc, ana, ruleInput({ talkgroups: [4200] }));
		await svc.db.updateTable('users').set({ disabled: 1 }).execute();
		expect(await decideAlerts(svc, await call())).toEqual([]);
		await svc.db.updateTable('users').set({ disabled: 0, expires_at: svc.clock.now() }).execute();
		expect(await decideAlerts(svc, await call())).toEqual([]);
	});

	it('not in quiet hours, read in the rule’s time zone on the clock', async () => {
		const ana = await addUser('ana');
		await createRule(
			svc,
			ana,
			ruleInput({
				talkgroups: [4200],
				quietHours: { start: '23:00', end: '07:00', timeZone: 'Europe/Paris' }
			})
		);
		svc.clock.set(Date.UTC(2026, 0, 15, 22, 30)); // 23:30 in Paris
		expect(await decideAlerts(svc, await call())).toEqual([]);
		svc.clock.set(Date.UTC(2026, 0, 16, 6, 0)); // 07:00 in Paris
		expect(await decideAlerts(svc, await call())).toHaveLength(1);
	});

	it('cool-down: one alert per talkgroup per period, the held-back count folded into the next', async () => {
		const ana = await addUser('ana');
		await createRule(svc, ana, ruleInput({ talkgroups: [4200, 4300], cooldownSeconds: 300 }));
		expect(await decideAlerts(svc, await call(4200))).toHaveLength(1);
		svc.clock.advance(60_000);
		expect(await decideAlerts(svc, await call(4200))).toEqual([]);
		expect(await decideAlerts(svc, await call(4300))).toHaveLength(1); // another talkgroup
		svc.clock.advance(60_000);
		expect(await decideAlerts(svc, await call(4200))).toEqual([]);
		svc.clock.advance(180_000); // 300 s after the first
		expect(await decideAlerts(svc, await call(4200))).toHaveLength(1);
		expect((await alertsOf(ana)).map((a) => [a.talkgroup.id, a.suppressed])).toEqual([
			[4200, 0],
			[4300, 0],
			[4200, 2]
		]);
	});

	it('a flood is capped per user per minute; the rest fold into the next alert', async () => {
		const ana = await addUser('ana');
		const ben = await addUser('ben');
		await createRule(svc, ana, ruleInput({ systems: [1] }));
		await createRule(svc, ben, ruleInput({ systems: [1] }));
		for (let i = 0; i < 10; i++) await decideAlerts(svc, await call());
		expect(await alertsOf(ana)).toHaveLength(3);
		expect(await alertsOf(ben)).toHaveLength(3);
		svc.clock.advance(60_000);
		await decideAlerts(svc, await call());
		expect((await alertsOf(ana)).map((a) => a.suppressed)).toEqual([0, 0, 0, 7]);
	});

	it('an emergency rule fires on calls the recorder flagged, and only those', async () => {
		const ana = await addUser('ana');
		await createRule(svc, ana, ruleInput({ name: 'Mayday', emergency: true }));
		await createRule(
			svc,
			ana,
			ruleInput({ name: 'Mayday on 4300', emergency: true, talkgroups: [4300] })
		);
		expect(await decideAlerts(svc, await call(4200))).toEqual([]);
		const flagged = await call(4200);
		await svc.db.updateTable('calls').set({ emergency: 1 }).where('id', '=', flagged).execute();
		expect(await decideAlerts(svc, flagged)).toHaveLength(1);
		expect((await alertsOf(ana)).map((a) => [a.callId, a.rule.name])).toEqual([
			[flagged, 'Mayday']
		]);
	});

	it('the cool-down is kept in the database: a fresh evaluator (a restart) still holds back', async () => {
		const ana = await addUser('ana');
		await createRule(svc, ana, ruleInput({ talkgroups: [4200], cooldownSeconds: 300 }));
		expect(await decideAlerts(svc, await call(4200))).toHaveLength(1);
		// A restarted process: nothing in memory but the database (another Kysely, same file).
		const restarted = {
			...svc,
			db: svc.db.withPlugin({
				transformQuery: (a) => a.node,
				transformResult: async (a) => a.result
			})
		};
		svc.clock.advance(60_000);
		expect(await decideAlerts(restarted, await call(4200))).toEqual([]);
		svc.clock.advance(240_000);
		expect(await decideAlerts(restarted, await call(4200))).toHaveLength(1);
		expect((await alertsOf(ana)).map((a) => a.suppressed)).toEqual([0, 1]);
	});

	it('a call is decided once, whichever evaluator comes second', async () => {
		const ana = await addUser('ana');
		await createRule(svc, ana, ruleInput({ talkgroups: [4200] }));
		const id = await call(4200);
		const [first, second] = await Promise.all([decideAlerts(svc, id), decideAlerts(svc, id)]);
		expect([...first, ...second]).toHaveLength(1);
		expect(await alertsOf(ana)).toHaveLength(1);
	});

	it('a deleted rule raises nothing more', async () => {
		const ana = await addUser('ana');
		const rule = await createRule(svc, ana, ruleInput({ systems: [1] }));
		expect(await decideAlerts(svc, await call())).toHaveLength(1);
		await deleteRule(svc, ana, rule.id);
		expect(await decideAlerts(svc, await call())).toEqual([]);
	});
});

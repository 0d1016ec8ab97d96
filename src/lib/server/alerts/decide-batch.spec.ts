import { describe, expect, it } from 'vitest';
import { testServices } from '../testing';
import { statementCounter } from '../../../../tests/helpers/statement-counter';
import { createSharedTestDbs } from '../core/db';
import { isPostgres } from '../core/db/dialect';
import { insertCall } from '../../../../tests/helpers/calls';
import { decideAlerts, decideCalls } from './decide';
import { callFactsAfter } from './facts';
import { createRule } from './rules';
import { ruleInput } from './test-support';
import { insertUserRow } from '../../../../tests/helpers/users';

// The worker decides the calls stored since its last decision together: one transaction, the
// flood limits and the owners' grants read once. These specs hold it to deciding exactly what
// the calls decided one at a time would, at a cost that does not grow with the batch.

type Svc = Awaited<ReturnType<typeof testServices>>;

const addUser = (svc: Svc, username: string, over: Parameters<typeof insertUserRow>[2] = {}) =>
	insertUserRow(svc.db, username, over);

/** A stored call on system 1 with these talkgroup and units. */
async function call(svc: Svc, talkgroupRef: number, units: number[] = []) {
	const id = await insertCall(svc.db, { systemRef: 1, talkgroupRef, dateTime: svc.clock.now() });
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

/**
 * Users who hear everything, one granted a single talkgroup, one disabled, one expired and an
 * admin; rules with and without cool-downs, a unit rule and a rule in its quiet hours.
 */
async function scenario(svc: Svc) {
	const ana = await addUser(svc, 'ana');
	const ben = await addUser(svc, 'ben', { access_all: 0 });
	const cleo = await addUser(svc, 'cleo', { disabled: 1 });
	const dan = await addUser(svc, 'dan', { expires_at: svc.clock.now() });
	const eve = await addUser(svc, 'eve', { access_all: 0, role: 'admin' });
	// Talkgroups exist before the grant; ids come out the same in every database of the spec.
	for (const tg of [4200, 4300, 4400]) await call(svc, tg);
	const tg4200 = await svc.db
		.selectFrom('talkgroups')
		.select(['id', 'system_id'])
		.where('talkgroup_ref', '=', 4200)
		.executeTakeFirstOrThrow();
	await svc.db
		.insertInto('user_access')
		.values({ user_id: ben, system_id: tg4200.system_id, talkgroup_id: tg4200.id })
		.execute();
	await createRule(svc, ana, ruleInput({ talkgroups: [4200, 4300], cooldownSeconds: 120 }));
	await createRule(svc, ana, ruleInput({ systems: [1] }));
	await createRule(svc, ben, ruleInput({ systems: [1], cooldownSeconds: 30 }));
	await createRule(svc, cleo, ruleInput({ systems: [1] }));
	await createRule(svc, dan, ruleInput({ systems: [1] }));
	await createRule(svc, eve, ruleInput({ units: [4214], cooldownSeconds: 30 }));
	const night = { start: '00:00', end: '23:59', timeZone: 'UTC' };
	await createRule(svc, eve, ruleInput({ talkgroups: [4400], quietHours: night }));
	const stored: number[][] = [];
	for (const phase of [0, 1, 2]) {
		const ids: number[] = [];
		for (let i = 0; i < 8; i++)
			ids.push(await call(svc, [4200, 4300, 4400][(i + phase) % 3], i % 3 ? [] : [4214]));
		stored.push(ids);
	}
	return stored;
}

/** A table's rows in a fixed order (PostgreSQL returns updated rows in any order). */
async function table(svc: Svc, name: 'alerts' | 'alert_cooldowns' | 'alert_minutes') {
	const rows = await svc.db.selectFrom(name).selectAll().execute();
	const key = (r: Record<string, unknown>) =>
		name === 'alerts' ? [r.id] : [r.user_id, r.rule_id ?? 0, r.talkgroup_id ?? 0];
	return rows.sort((a, b) => {
		const [x, y] = [key(a), key(b)] as number[][];
		return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
	});
}

describe('deciding a batch of calls', () => {
	it('raises, holds back and counts exactly what deciding the calls one at a time would', async () => {
		const env = { SQUELCH_ALERTS_PER_MINUTE: '3' };
		const [single, batched] = [await testServices(env), await testServices(env)];
		const phases = await scenario(single);
		expect(await scenario(batched)).toEqual(phases);
		for (const ids of phases) {
			for (const id of ids) await decideAlerts(single, id);
			await decideCalls(batched, await callFactsAfter(batched.db, ids[0] - 1, ids.length));
			for (const svc of [single, batched]) svc.clock.advance(31_000);
		}
		const alerts = await table(single, 'alerts');
		// The scenario reaches every limit: cap, cool-down, quiet hours and access.
		expect(alerts.length).toBeGreaterThan(5);
		expect(alerts.some((a) => a.suppressed > 0)).toBe(true);
		expect(await table(batched, 'alerts')).toEqual(alerts);
		expect(await table(batched, 'alert_cooldowns')).toEqual(await table(single, 'alert_cooldowns'));
		expect(await table(batched, 'alert_minutes')).toEqual(await table(single, 'alert_minutes'));
	});

	it('costs the same statements for 40 calls as for 4, and none for calls no rule matches', async () => {
		const svc = await testServices();
		const users = [];
		for (let u = 0; u < 10; u++) users.push(await addUser(svc, `user${u}`));
		for (const id of users)
			await createRule(svc, id, ruleInput({ talkgroups: [4200, 4300], cooldownSeconds: 600 }));
		const ids = [];
		for (let i = 0; i < 48; i++) ids.push(await call(svc, i % 2 ? 4200 : 4300));
		for (let i = 0; i < 4; i++) await call(svc, 9999);
		const counter = statementCounter();
		const deps = { ...svc, db: svc.db.withPlugin(counter) };
		const decide = async (after: number, count: number) => {
			const facts = await callFactsAfter(svc.db, after, count);
			counter.count = 0;
			const raised = await decideCalls(deps, facts);
			return { raised, statements: counter.count };
		};
		// The first calls raise an alert per user and talkgroup; the rest are held back.
		expect((await decide(0, 4)).raised).toHaveLength(20);
		const four = await decide(ids[3], 4);
		const forty = await decide(ids[7], 40);
		expect(four.raised).toEqual([]);
		expect(forty.raised).toEqual([]);
		expect(forty.statements).toBe(four.statements);
		expect(four.statements).toBeLessThanOrEqual(6);
		expect((await decide(ids[47], 4)).statements).toBe(0);
		const held = await svc.db
			.selectFrom('alert_cooldowns')
			.select((eb) => eb.fn.sum<number>('suppressed').as('n'))
			.executeTakeFirstOrThrow();
		expect(Number(held.n)).toBe(10 * 46);
	});

	it('decides each call once when two evaluators take batches from the same place at once', async () => {
		const svc = await testServices({ SQUELCH_ALERTS_PER_MINUTE: '1000' });
		const ana = await addUser(svc, 'ana');
		await createRule(svc, ana, ruleInput({ talkgroups: [4200] }));
		const ids = [];
		for (let i = 0; i < 9; i++) ids.push(await call(svc, 4200));
		const facts = await callFactsAfter(svc.db, 0, 9);
		const [a, b] = await Promise.all([
			decideCalls(svc, facts.slice(0, 6)),
			decideCalls(svc, facts)
		]);
		expect(a.length + b.length).toBe(9);
		const alerts = await svc.db.selectFrom('alerts').select('call_id').orderBy('id').execute();
		expect(alerts.map((r) => r.call_id).sort((x, y) => x - y)).toEqual(ids);
		const cursor = await svc.db.selectFrom('alert_cursor').select('call_id').executeTakeFirst();
		expect(cursor?.call_id).toBe(ids[8]);
	});

	it('two instances deciding at once share the cool-down and the per-minute cap', async () => {
		const svc = await testServices({ SQUELCH_ALERTS_PER_MINUTE: '2' });
		// Two handles on one database. On PostgreSQL their transactions run at once; SQLite in one
		// process would wait on its own write lock, so there both instances share one handle.
		const [one, two] = isPostgres(svc.db) ? await createSharedTestDbs(2) : [svc.db, svc.db];
		const a = { ...svc, db: one };
		const b = { ...svc, db: two };
		const ana = await addUser(a, 'ana');
		await createRule(a, ana, ruleInput({ talkgroups: [4200], cooldownSeconds: 3600 }));
		await createRule(a, ana, ruleInput({ talkgroups: [4300] }));
		const ids = [];
		for (let i = 0; i < 12; i++) ids.push(await call(a, i % 2 ? 4300 : 4200));
		const facts = await callFactsAfter(one, 0, 12);
		// Each instance reads every call; they race for the same calls in batches of three.
		const decide = async (deps: typeof a) => {
			for (let i = 0; i < 12; i += 3) await decideCalls(deps, facts.slice(i, i + 3));
		};
		await Promise.all([decide(a), decide(b)]);
		const alerts = await table(a, 'alerts');
		// 4200: one alert per cool-down; 4300: no cool-down, but two alerts a minute in all.
		expect(alerts.map((r) => r.call_id)).toEqual([ids[0], ids[1]]);
		const held = await table(a, 'alert_cooldowns');
		expect(held.map((r) => r.suppressed)).toEqual([5, 5]);
		expect((await table(a, 'alert_minutes')).map((r) => r.count)).toEqual([2]);
	});
});

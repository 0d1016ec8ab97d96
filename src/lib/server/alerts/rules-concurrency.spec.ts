import { describe, expect, it } from 'vitest';
import { testServices } from '../testing';
import { insertUserRow } from '../../../../tests/helpers/users';
import { createRule, listRules, MAX_RULES_PER_USER } from './rules';
import { ruleInput } from './test-support';

// Two instances' requests at once: on PostgreSQL (SQUELCH_TEST_DB=postgres) the creates run in
// concurrent transactions, so a count-then-insert without serialization would pass the cap.

const input = (n: number) => ruleInput({ name: `Rule ${n}`, talkgroups: [n] });

describe('alert rules created at once', () => {
	it('never pass the per-user cap', async () => {
		const svc = await testServices();
		const id = await insertUserRow(svc.db, 'ana');
		for (let i = 0; i < MAX_RULES_PER_USER - 2; i++) await createRule(svc, id, input(i));
		const results = await Promise.allSettled(
			Array.from({ length: 8 }, (_, i) => createRule(svc, id, input(1000 + i)))
		);
		expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
		const refused = results.filter((r) => r.status === 'rejected');
		expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(
			Array(6).fill('BAD_REQUEST')
		);
		expect(await listRules(svc.db, id)).toHaveLength(MAX_RULES_PER_USER);
	});
});

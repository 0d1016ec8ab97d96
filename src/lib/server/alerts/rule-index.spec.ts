import { describe, expect, it } from 'vitest';
import { RuleIndex } from './rule-index';
import type { CallFacts } from './match';
import type { AlertRule } from './rules';
import { ruleInput } from './test-support';

let nextId = 1;
const rule = (m: Partial<AlertRule>): AlertRule => ({
	...ruleInput({ name: 'r' }),
	id: nextId++,
	userId: 1,
	keywords: [],
	createdAt: 0,
	updatedAt: 0,
	...m
});

const call: CallFacts = {
	callId: 1,
	systemId: 1,
	talkgroupId: 1,
	system: 11,
	systemLabel: 'County',
	talkgroup: 4200,
	talkgroupLabel: 'Station 14',
	group: 'Fire',
	tag: 'Dispatch',
	units: [4214, 4215],
	unitAlias: '',
	emergency: false,
	dateTime: 0
};

describe('the rule index', () => {
	it('offers a call only the rules bucketed under its talkgroup, units, group, tag or system', () => {
		const tg = rule({ talkgroups: [4200, 4300] });
		const otherTg = rule({ talkgroups: [9999] });
		const units = rule({ units: [4215, 4214] });
		const group = rule({ groups: ['Fire'] });
		const tag = rule({ tags: ['Law'] });
		const system = rule({ systems: [11] });
		const emergency = rule({ emergency: true });
		const index = new RuleIndex([tg, otherTg, units, group, tag, system, emergency]);
		expect(index.size).toBe(7);
		expect(index.candidates(call).map((r) => r.id)).toEqual([tg.id, units.id, group.id, system.id]);
		expect(index.candidates({ ...call, emergency: true }).map((r) => r.id)).toContain(emergency.id);
	});

	it('still applies every field: the bucket is only where matching starts', () => {
		const narrow = rule({ talkgroups: [4200], systems: [12] });
		const both = rule({ talkgroups: [4200], units: [1] });
		const onlyEmergency = rule({ talkgroups: [4200], emergency: true });
		const index = new RuleIndex([narrow, both, onlyEmergency]);
		expect(index.candidates(call)).toHaveLength(3);
		expect(index.matching(call)).toEqual([]);
		expect(index.matching({ ...call, system: 12, units: [1], emergency: true })).toHaveLength(3);
	});

	it('checks a rule naming no indexed field against every call (room for new match fields)', () => {
		const open = rule({});
		expect(new RuleIndex([open]).candidates(call)).toEqual([open]);
		expect(new RuleIndex([]).candidates(call)).toEqual([]);
	});
});

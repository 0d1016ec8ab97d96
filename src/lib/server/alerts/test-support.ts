import type { RuleInput } from './rules';

/** A rule that matches nothing until the test says what: no cool-down, no quiet hours. */
export function ruleInput(match: Partial<RuleInput> = {}): RuleInput {
	return {
		name: 'Rule',
		sound: 'beep',
		cooldownSeconds: 0,
		quietHours: null,
		systems: [],
		talkgroups: [],
		units: [],
		groups: [],
		tags: [],
		emergency: false,
		...match
	};
}

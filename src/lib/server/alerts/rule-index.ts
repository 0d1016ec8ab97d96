import { matches, type CallFacts } from './match';
import type { AlertRule } from './rules';

/**
 * Every rule on the server, bucketed by one field it names, so a stored call is matched against
 * only the rules that could fire for it. A rule goes in the buckets of its most selective field
 * (talkgroups, then units, groups, tags, systems, emergency); a rule naming none of those (a
 * later match field such as keywords) goes in `others`, which every call checks.
 */
export class RuleIndex {
	private buckets = new Map<string, AlertRule[]>();
	private others: AlertRule[] = [];
	readonly size: number;

	constructor(rules: AlertRule[]) {
		this.size = rules.length;
		for (const rule of rules) {
			const keys = keysOf(rule);
			if (keys.length === 0) this.others.push(rule);
			for (const key of keys) {
				const bucket = this.buckets.get(key);
				if (bucket) bucket.push(rule);
				else this.buckets.set(key, [rule]);
			}
		}
	}

	/** Rules that may fire for the call: each once, in id order. */
	candidates(call: CallFacts): AlertRule[] {
		const found = new Map<number, AlertRule>();
		const add = (key: string) => {
			for (const rule of this.buckets.get(key) ?? []) found.set(rule.id, rule);
		};
		add(`tg:${call.talkgroup}`);
		for (const unit of call.units) add(`unit:${unit}`);
		add(`group:${call.group}`);
		add(`tag:${call.tag}`);
		add(`system:${call.system}`);
		if (call.emergency) add('emergency');
		for (const rule of this.others) found.set(rule.id, rule);
		return [...found.values()].sort((a, b) => a.id - b.id);
	}

	/** The rules whose match fields all hold for the call (quiet hours and access come after). */
	matching(call: CallFacts): AlertRule[] {
		return this.candidates(call).filter((rule) => matches(rule, call));
	}
}

function keysOf(rule: AlertRule): string[] {
	if (rule.talkgroups.length) return rule.talkgroups.map((t) => `tg:${t}`);
	if (rule.units.length) return rule.units.map((u) => `unit:${u}`);
	if (rule.groups.length) return rule.groups.map((g) => `group:${g}`);
	if (rule.tags.length) return rule.tags.map((t) => `tag:${t}`);
	if (rule.systems.length) return rule.systems.map((s) => `system:${s}`);
	if (rule.emergency) return ['emergency'];
	return [];
}

import { spokenKeyword } from './keywords';

/**
 * Which rules a stored call matches: pure functions, no database, so the decision is cheap for
 * thousands of rules and testable on a manual clock.
 */

/** A rule's match fields, as radio ids like calls.search; an empty list matches anything. */
export interface RuleMatch {
	systems: number[];
	talkgroups: number[];
	units: number[];
	groups: string[];
	tags: string[];
	/** true: only calls the recorder flagged as an emergency. */
	emergency: boolean;
	/** Words or phrases, any of which the transcript must say (alerts/keywords.ts). */
	keywords: string[];
}

/** Local wall-clock times "HH:MM" in an IANA time zone; end before start spans midnight. */
export interface QuietHours {
	start: string;
	end: string;
	timeZone: string;
}

/** What a rule is matched against: a stored call's radio facts. */
export interface CallFacts {
	callId: number;
	/** Database ids, for the access check. */
	systemId: number;
	talkgroupId: number;
	system: number;
	systemLabel: string;
	talkgroup: number;
	talkgroupLabel: string;
	group: string;
	tag: string;
	/** Every unit heard on the call. */
	units: number[];
	unitAlias: string;
	emergency: boolean;
	dateTime: number;
	/** The call's transcript once it arrived; keyword rules wait for it. */
	transcript?: string | null;
}

const anyOf = <T>(wanted: readonly T[], value: T) => wanted.length === 0 || wanted.includes(value);

export function matches(rule: RuleMatch, call: CallFacts): boolean {
	if (rule.emergency && !call.emergency) return false;
	if (!anyOf(rule.systems, call.system)) return false;
	if (!anyOf(rule.talkgroups, call.talkgroup)) return false;
	if (!anyOf(rule.groups, call.group)) return false;
	if (!anyOf(rule.tags, call.tag)) return false;
	if (rule.units.length > 0 && !call.units.some((u) => rule.units.includes(u))) return false;
	if (rule.keywords.length > 0 && !spokenKeyword(rule.keywords, call.transcript ?? ''))
		return false;
	return true;
}

/** A rule that names nothing would alert on every call; refused at create/update. */
export function isEmptyMatch(rule: RuleMatch): boolean {
	return (
		!rule.emergency &&
		rule.systems.length + rule.talkgroups.length + rule.units.length === 0 &&
		rule.groups.length + rule.tags.length + rule.keywords.length === 0
	);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a zone Intl does not know. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
	let f = formatters.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-GB', {
			timeZone,
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23'
		});
		// Bounded by the zones Intl knows (a few hundred).
		formatters.set(timeZone, f);
	}
	return f;
}

export function isTimeZone(timeZone: string): boolean {
	try {
		formatterFor(timeZone);
		return true;
	} catch {
		return false;
	}
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight at `atMs` in the zone. */
export function localMinutes(atMs: number, timeZone: string): number {
	const parts = formatterFor(timeZone).formatToParts(new Date(atMs));
	const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
	const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
	return hour * 60 + minute;
}

export function inQuietHours(quiet: QuietHours | null, atMs: number): boolean {
	return quietHoursAt(atMs)(quiet);
}

/**
 * Quiet hours at one instant for many rules: each time zone's local time is worked out once
 * (Intl formatting is the costly part).
 */
export function quietHoursAt(atMs: number): (quiet: QuietHours | null) => boolean {
	const local = new Map<string, number>();
	return (quiet) => {
		if (!quiet) return false;
		const start = minutesOf(quiet.start);
		const end = minutesOf(quiet.end);
		if (start === end) return false;
		let now = local.get(quiet.timeZone);
		if (now === undefined) {
			now = localMinutes(atMs, quiet.timeZone);
			local.set(quiet.timeZone, now);
		}
		return start < end ? now >= start && now < end : now >= start || now < end;
	};
}

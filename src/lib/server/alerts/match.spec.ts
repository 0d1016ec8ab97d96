import { describe, expect, it } from 'vitest';
import { spokenKeyword } from './keywords';
import {
	inQuietHours,
	isEmptyMatch,
	isTimeZone,
	matches,
	type CallFacts,
	type RuleMatch
} from './match';

const call: CallFacts = {
	callId: 1,
	systemId: 10,
	talkgroupId: 20,
	system: 1,
	systemLabel: 'County',
	talkgroup: 4200,
	talkgroupLabel: 'Fire Dispatch',
	group: 'Fire',
	tag: 'Dispatch',
	units: [4214, 555],
	unitAlias: 'Engine 14',
	emergency: false,
	dateTime: 0
};
const rule = (m: Partial<RuleMatch>): RuleMatch => ({
	systems: [],
	talkgroups: [],
	units: [],
	groups: [],
	tags: [],
	emergency: false,
	keywords: [],
	...m
});

describe('rule matching', () => {
	it.each([
		['systems', { systems: [1, 2] }, { systems: [2] }],
		['talkgroups', { talkgroups: [4200] }, { talkgroups: [4201] }],
		['units (any unit heard)', { units: [555] }, { units: [4215] }],
		['groups', { groups: ['Fire'] }, { groups: ['Law'] }],
		['tags', { tags: ['Dispatch', 'Tac'] }, { tags: ['Tac'] }]
	])('%s: a listed value matches, others do not', (_, hit, miss) => {
		expect(matches(rule(hit), call)).toBe(true);
		expect(matches(rule(miss), call)).toBe(false);
	});

	it('every named field must match (AND across fields)', () => {
		expect(matches(rule({ systems: [1], talkgroups: [4200], units: [4214] }), call)).toBe(true);
		expect(matches(rule({ systems: [1], talkgroups: [4200], units: [9] }), call)).toBe(false);
		expect(matches(rule({ systems: [2], talkgroups: [4200] }), call)).toBe(false);
	});

	it('emergency: only a call flagged as one', () => {
		expect(matches(rule({ emergency: true }), call)).toBe(false);
		expect(matches(rule({ emergency: true }), { ...call, emergency: true })).toBe(true);
		expect(matches(rule({ talkgroups: [4200] }), { ...call, emergency: true })).toBe(true);
	});

	it('a rule that names nothing is empty', () => {
		expect(isEmptyMatch(rule({}))).toBe(true);
		expect(isEmptyMatch(rule({ emergency: true }))).toBe(false);
		expect(isEmptyMatch(rule({ tags: ['x'] }))).toBe(false);
	});
});

describe('quiet hours', () => {
	// 2026-01-15 22:30 UTC is 23:30 in Paris (UTC+1) and 17:30 in New York (UTC-5).
	const at = Date.UTC(2026, 0, 15, 22, 30);

	it('are read in the rule owner’s time zone', () => {
		const night = { start: '23:00', end: '07:00' };
		expect(inQuietHours({ ...night, timeZone: 'Europe/Paris' }, at)).toBe(true);
		expect(inQuietHours({ ...night, timeZone: 'America/New_York' }, at)).toBe(false);
		expect(inQuietHours({ ...night, timeZone: 'UTC' }, at)).toBe(false);
	});

	it('span midnight when end is before start; the end minute is outside', () => {
		const q = { start: '22:00', end: '06:00', timeZone: 'UTC' };
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 2, 0))).toBe(true);
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 6, 0))).toBe(false);
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 21, 59))).toBe(false);
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 22, 0))).toBe(true);
	});

	it('within a day; none when absent or start equals end', () => {
		const q = { start: '09:00', end: '17:00', timeZone: 'UTC' };
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 12, 0))).toBe(true);
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 18, 0))).toBe(false);
		expect(inQuietHours(null, at)).toBe(false);
		expect(inQuietHours({ start: '08:00', end: '08:00', timeZone: 'UTC' }, at)).toBe(false);
	});

	it('follow daylight saving time', () => {
		// 12:30 UTC is 08:30 in New York in July (UTC-4) but 07:30 in January (UTC-5).
		const q = { start: '07:00', end: '08:00', timeZone: 'America/New_York' };
		expect(inQuietHours(q, Date.UTC(2026, 6, 15, 12, 30))).toBe(false);
		expect(inQuietHours(q, Date.UTC(2026, 0, 15, 12, 30))).toBe(true);
	});

	it('know real zones only', () => {
		expect(isTimeZone('Europe/Paris')).toBe(true);
		expect(isTimeZone('Mars/Olympus')).toBe(false);
	});
});

describe('keyword rules', () => {
	it('wait for the transcript, then match whole words and phrases, with the rest of the match', () => {
		const fire = rule({ keywords: ['structure fire', 'mayday'], talkgroups: [4200] });
		expect(matches(fire, call)).toBe(false); // at ingest: no transcript yet
		expect(matches(fire, { ...call, transcript: 'Reported STRUCTURE-fire, 5th and Main.' })).toBe(
			true
		);
		expect(matches(fire, { ...call, transcript: 'Mayday, mayday!' })).toBe(true);
		expect(matches(fire, { ...call, transcript: 'structure is on fire' })).toBe(false);
		expect(matches(fire, { ...call, transcript: 'maydays' })).toBe(false);
		expect(matches(fire, { ...call, talkgroup: 1, transcript: 'structure fire' })).toBe(false);
	});

	it('count as a match field of their own', () => {
		expect(isEmptyMatch(rule({ keywords: ['fire'] }))).toBe(false);
		expect(spokenKeyword(['Shots fired'], 'we have shots fired on Elm')).toBe('Shots fired');
		expect(spokenKeyword(['  '], 'anything')).toBeNull();
	});
});

/**
 * Parsers for the text fields of a recorder upload (RECORDERS.md). Recorders disagree on formats
 * and some send invalid JSON, so every parser here is lenient: it returns what it can read and
 * never throws. Each reads its input in time linear in its length and keeps a bounded result
 * (upload-limits.ts).
 */

import { numberAfter, objectBlocks, tagIn } from './lenient-json';
import {
	MAX_LABEL_CHARS,
	MAX_LIST_ENTRIES,
	MAX_LIST_JSON_BYTES,
	MAX_PATCHES,
	MAX_TAG_CHARS
} from './upload-limits';

/**
 * "", "-" and "null" (SDRTrunk's `talkgroupGroup`) mean "no label". Control characters go, and the
 * text is cut to `maxChars` (never through a surrogate pair).
 */
export function cleanLabel(value: string | undefined | null, maxChars = MAX_LABEL_CHARS): string {
	// eslint-disable-next-line no-control-regex
	const text = (value ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
	if (text === '-' || text.toLowerCase() === 'null') return '';
	const cut = text.slice(0, maxChars);
	return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** A positive whole number (system, talkgroup, unit), or 0 when absent or not a number. */
export function parseRadioId(value: string | undefined | null): number {
	const text = (value ?? '').trim();
	if (!/^\d{1,15}$/.test(text)) return 0;
	return Number(text);
}

/** Hz as an integer; accepts "851012500" and "851012500.0"; null when absent or invalid. */
export function parseFrequency(value: string | undefined | null): number | null {
	const text = (value ?? '').trim();
	if (!/^\d+(\.\d+)?$/.test(text)) return null;
	const hz = Math.round(Number(text));
	return hz > 0 && Number.isSafeInteger(hz) ? hz : null;
}

const ISO =
	/^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The call's start as epoch ms, or null.
 * - `dateTime` all digits (optionally with a fraction): unix seconds (Trunk-Recorder, SDRTrunk).
 * - otherwise ISO 8601 / RFC 3339 with any number of fractional digits (voxcall sends microseconds);
 *   without an offset the time is taken as UTC.
 * - `timestamp`: unix milliseconds, used when `dateTime` is absent or unreadable.
 */
export function parseDateTime(
	dateTime: string | undefined | null,
	timestamp?: string | null
): number | null {
	const text = (dateTime ?? '').trim();
	const fromDateTime = text
		? /^\d+(\.\d+)?$/.test(text)
			? secondsToMs(text)
			: parseIso(text)
		: null;
	if (fromDateTime !== null) return fromDateTime;
	const ts = (timestamp ?? '').trim();
	if (/^\d+$/.test(ts)) return validMs(Number(ts));
	return null;
}

function secondsToMs(text: string): number | null {
	return validMs(Math.round(Number(text) * 1000));
}

function parseIso(text: string): number | null {
	const m = ISO.exec(text);
	if (!m) return null;
	const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
	const ms = Number((frac + '000').slice(0, 3));
	const month = Number(mo);
	const day = Number(d);
	const hour = Number(h);
	const minute = Number(mi);
	const second = Number(s);
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
		return null;
	let utc = Date.UTC(Number(y), month - 1, day, hour, minute, second, ms);
	// Reject dates that rolled over (e.g. February 31st).
	if (new Date(utc).getUTCDate() !== day && second < 60) return null;
	if (zone.toUpperCase() !== 'Z') {
		const sign = zone[0] === '-' ? -1 : 1;
		const digits = zone.slice(1).replace(':', '');
		const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0');
		utc -= sign * offsetMin * 60_000;
	}
	return validMs(utc);
}

/** Zero (an unset clock) and absurd values count as no time. */
function validMs(ms: number): number | null {
	if (!Number.isFinite(ms) || ms <= 0) return null;
	if (ms > Date.UTC(9999, 0, 1)) return null;
	return ms;
}

export interface SourceEntry {
	pos: number;
	src: number;
	tag?: string;
}

export interface FrequencyEntry {
	freq: number;
	time: number;
	pos: number;
	len: number;
	errorCount: number;
	spikeCount: number;
}

const num = (v: unknown): number | null => {
	const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
	return Number.isFinite(n) ? n : null;
};

function tryJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** A lookup of numbers by key for each entry of a JSON list, or of each `{…}` block when the JSON is bad. */
function entries(raw: string): Array<{ number(key: string): number | null; tag(): string | null }> {
	const parsed = tryJson(raw);
	if (Array.isArray(parsed))
		return parsed
			.filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
			.map((rec) => ({
				number: (key) => num(rec[key]),
				tag: () => (typeof rec.tag === 'string' ? rec.tag : null)
			}));
	// Blocks are read only as far as the entries kept: a few more than the cap for bad ones.
	return objectBlocks(raw, MAX_LIST_ENTRIES * 4).map((block) => ({
		number: (key) => numberAfter(block, key),
		tag: () => tagIn(block)
	}));
}

/** A plausible value or the fallback: absurd numbers are not stored (and not sent to listeners). */
function within(value: number | null, max: number, fallback = 0): number {
	return value !== null && value >= 0 && value <= max ? value : fallback;
}
const round2 = (n: number) => Math.round(n * 100) / 100;
const DAY_SECONDS = 86_400;

/**
 * Trunk-Recorder's `sources`: `[{"pos": 0.00, "src": 1234567, "tag": "Engine 5"}]`. Newer builds do
 * not escape `tag`, so a quote inside it breaks the JSON; then each object is read on its own, and
 * the tag is everything between its opening quote and the last quote of the object.
 */
export function parseSources(text: string | undefined | null): SourceEntry[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const out: SourceEntry[] = [];
	for (const item of entries(raw)) {
		if (out.length >= MAX_LIST_ENTRIES) break;
		const src = item.number('src');
		if (src === null || !Number.isSafeInteger(src) || src <= 0) continue;
		const entry: SourceEntry = { pos: round2(within(item.number('pos'), DAY_SECONDS)), src };
		const tag = cleanLabel(item.tag(), MAX_TAG_CHARS);
		if (tag) entry.tag = tag;
		out.push(entry);
	}
	return withinBytes(out, MAX_LIST_JSON_BYTES);
}

/** Trunk-Recorder's `frequencies`; unreadable entries are dropped. */
export function parseFrequencies(text: string | undefined | null): FrequencyEntry[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const out: FrequencyEntry[] = [];
	for (const item of entries(raw)) {
		if (out.length >= MAX_LIST_ENTRIES) break;
		const freq = item.number('freq');
		if (freq === null || freq <= 0 || freq > MAX_HZ) continue;
		out.push({
			freq: Math.round(freq),
			time: Math.round(within(item.number('time'), MAX_UNIX_SECONDS)),
			pos: round2(within(item.number('pos'), DAY_SECONDS)),
			len: round2(within(item.number('len'), DAY_SECONDS)),
			errorCount: Math.round(within(item.number('errorCount'), MAX_COUNT)),
			spikeCount: Math.round(within(item.number('spikeCount'), MAX_COUNT))
		});
	}
	return withinBytes(out, MAX_LIST_JSON_BYTES);
}

const MAX_HZ = 1e12;
const MAX_UNIX_SECONDS = Date.UTC(9999, 0, 1) / 1000;
const MAX_COUNT = 1e9;

/** `[]`, `[101,102]`, SDRTrunk's `[PATCHGROUP,tg1,tg2]`, or garbage: every positive whole number found. */
export function parsePatches(text: string | undefined | null): number[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const parsed = tryJson(raw);
	const values = Array.isArray(parsed) ? parsed.map(num) : (raw.match(/\d+/g) ?? []).map(Number);
	const seen = new Set<number>();
	for (const v of values) {
		if (seen.size >= MAX_PATCHES) break;
		if (v !== null && Number.isSafeInteger(v) && v > 0) seen.add(v);
	}
	return [...seen];
}

/** The leading entries whose JSON array fits in `maxBytes`. */
export function withinBytes<T>(items: T[], maxBytes: number): T[] {
	let bytes = 2; // []
	for (let i = 0; i < items.length; i++) {
		bytes += Buffer.byteLength(JSON.stringify(items[i])) + (i > 0 ? 1 : 0);
		if (bytes > maxBytes) return items.slice(0, i);
	}
	return items;
}

/**
 * A yes/no field such as Trunk-Recorder's `emergency`: 1/0, true/false, yes/no, on/off in any
 * case (a JSON boolean arrives as its text). Anything else, or absent, is no.
 */
export function parseFlag(value: string | undefined | null): boolean {
	const text = (value ?? '').trim().toLowerCase();
	return text === '1' || text === 'true' || text === 'yes' || text === 'on';
}

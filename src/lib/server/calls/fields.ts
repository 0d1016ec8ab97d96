/**
 * Parsers for the text fields of a recorder upload (RECORDERS.md). Recorders disagree on formats
 * and some send invalid JSON, so every parser here is lenient: it returns what it can read and
 * never throws.
 */

/** "", "-" and "null" (SDRTrunk's `talkgroupGroup`) mean "no label". */
export function cleanLabel(value: string | undefined | null): string {
	const text = (value ?? '').trim();
	if (text === '-' || text.toLowerCase() === 'null') return '';
	return text.slice(0, 200);
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

/** `{...}` blocks of a JSON-ish array, for when JSON.parse gives up. */
function objectBlocks(text: string): string[] {
	return text.match(/\{[^{}]*\}/g) ?? [];
}

function numberIn(block: string, key: string): number | null {
	const m = new RegExp(`"${key}"\\s*:\\s*"?(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)`).exec(block);
	return m ? Number(m[1]) : null;
}

/**
 * Trunk-Recorder's `sources`: `[{"pos": 0.00, "src": 1234567, "tag": "Engine 5"}]`. Newer builds do
 * not escape `tag`, so a quote inside it breaks the JSON; then each object is read on its own, and
 * the tag is everything between its opening quote and the last quote of the object.
 */
export function parseSources(text: string | undefined | null): SourceEntry[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const parsed = tryJson(raw);
	const out: SourceEntry[] = [];
	if (Array.isArray(parsed)) {
		for (const item of parsed) {
			if (!item || typeof item !== 'object') continue;
			const rec = item as Record<string, unknown>;
			const src = num(rec.src);
			if (src === null || !Number.isSafeInteger(src) || src <= 0) continue;
			const entry: SourceEntry = { pos: num(rec.pos) ?? 0, src };
			const tag = typeof rec.tag === 'string' ? cleanLabel(rec.tag) : '';
			if (tag) entry.tag = tag;
			out.push(entry);
		}
		return out;
	}
	for (const block of objectBlocks(raw)) {
		const src = numberIn(block, 'src');
		if (src === null || !Number.isSafeInteger(src) || src <= 0) continue;
		const entry: SourceEntry = { pos: numberIn(block, 'pos') ?? 0, src };
		const tagMatch = /"tag"\s*:\s*"([\s\S]*)"\s*(?:,[^"]*)?\}$/.exec(block);
		const tag = tagMatch ? cleanLabel(tagMatch[1].replace(/\\"/g, '"')) : '';
		if (tag) entry.tag = tag;
		out.push(entry);
	}
	return out;
}

/** Trunk-Recorder's `frequencies`; unreadable entries are dropped. */
export function parseFrequencies(text: string | undefined | null): FrequencyEntry[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const parsed = tryJson(raw);
	const items: Array<(key: string) => number | null> = Array.isArray(parsed)
		? parsed
				.filter((p) => p && typeof p === 'object')
				.map((p) => (key: string) => num((p as Record<string, unknown>)[key]))
		: objectBlocks(raw).map((block) => (key: string) => numberIn(block, key));
	const out: FrequencyEntry[] = [];
	for (const get of items) {
		const freq = get('freq');
		if (freq === null || freq <= 0) continue;
		out.push({
			freq: Math.round(freq),
			time: get('time') ?? 0,
			pos: get('pos') ?? 0,
			len: get('len') ?? 0,
			errorCount: get('errorCount') ?? 0,
			spikeCount: get('spikeCount') ?? 0
		});
	}
	return out;
}

/** `[]`, `[101,102]`, SDRTrunk's `[PATCHGROUP,tg1,tg2]`, or garbage: every positive whole number found. */
export function parsePatches(text: string | undefined | null): number[] {
	const raw = (text ?? '').trim();
	if (!raw) return [];
	const parsed = tryJson(raw);
	const values = Array.isArray(parsed) ? parsed.map(num) : (raw.match(/\d+/g) ?? []).map(Number);
	const out: number[] = [];
	for (const v of values) {
		if (v !== null && Number.isSafeInteger(v) && v > 0 && !out.includes(v)) out.push(v);
	}
	return out.slice(0, 100);
}

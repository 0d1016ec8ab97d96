import { describe, expect, it } from 'vitest';
import {
	cleanLabel,
	parseDateTime,
	parseFrequencies,
	parseFlag,
	parseFrequency,
	parsePatches,
	parseRadioId,
	parseSources
} from './fields';
import { MAX_LIST_ENTRIES, MAX_LIST_JSON_BYTES, MAX_PATCHES } from './upload-limits';

describe('parseDateTime', () => {
	it('reads all-digit values as unix seconds', () => {
		expect(parseDateTime('1718145678')).toBe(1718145678000);
		expect(parseDateTime(' 1718145700.512 ')).toBe(1718145700512);
	});

	it('reads ISO 8601 with any number of fractional digits', () => {
		expect(parseDateTime('2024-06-15T14:30:22.123456Z')).toBe(
			Date.UTC(2024, 5, 15, 14, 30, 22, 123)
		);
		expect(parseDateTime('2024-06-15T14:30:22.1Z')).toBe(Date.UTC(2024, 5, 15, 14, 30, 22, 100));
		expect(parseDateTime('2024-06-15T14:30:22.123456789Z')).toBe(
			Date.UTC(2024, 5, 15, 14, 30, 22, 123)
		);
		expect(parseDateTime('2024-06-15T14:30:22Z')).toBe(Date.UTC(2024, 5, 15, 14, 30, 22));
		expect(parseDateTime('2024-06-15 14:30:22')).toBe(Date.UTC(2024, 5, 15, 14, 30, 22));
	});

	it('applies the offset', () => {
		expect(parseDateTime('2024-06-15T16:30:22.5+02:00')).toBe(
			Date.UTC(2024, 5, 15, 14, 30, 22, 500)
		);
		expect(parseDateTime('2024-06-15T09:30:22-0500')).toBe(Date.UTC(2024, 5, 15, 14, 30, 22));
	});

	it('falls back to timestamp in milliseconds', () => {
		expect(parseDateTime(undefined, '1718145678123')).toBe(1718145678123);
		expect(parseDateTime('garbage', '1718145678123')).toBe(1718145678123);
		expect(parseDateTime('1718145678', '99')).toBe(1718145678000);
	});

	it('rejects what is not a time', () => {
		for (const bad of [
			'',
			'now',
			'0',
			'2024-13-01T00:00:00Z',
			'2024-02-31T00:00:00Z',
			'15/06/2024',
			'-5'
		]) {
			expect(parseDateTime(bad), bad).toBeNull();
		}
		expect(parseDateTime(undefined, 'abc')).toBeNull();
	});
});

describe('labels and numbers', () => {
	it('treats "", "-" and "null" as empty', () => {
		expect(cleanLabel('')).toBe('');
		expect(cleanLabel(' - ')).toBe('');
		expect(cleanLabel('null')).toBe('');
		expect(cleanLabel('NULL')).toBe('');
		expect(cleanLabel(undefined)).toBe('');
		expect(cleanLabel(' Fire Dispatch ')).toBe('Fire Dispatch');
		expect(cleanLabel('-1')).toBe('-1');
	});

	it('reads radio ids and frequencies', () => {
		expect(parseRadioId('12345')).toBe(12345);
		expect(parseRadioId(' 7 ')).toBe(7);
		expect(parseRadioId('')).toBe(0);
		expect(parseRadioId('12a')).toBe(0);
		expect(parseRadioId('-3')).toBe(0);
		expect(parseFrequency('851012500')).toBe(851012500);
		expect(parseFrequency('851012500.4')).toBe(851012500);
		expect(parseFrequency('')).toBeNull();
		expect(parseFrequency('abc')).toBeNull();
	});
});

describe('lenient JSON fields', () => {
	it('reads valid sources', () => {
		expect(
			parseSources(
				'[{ "pos": 0.00, "src": 1234567 }, { "pos": 2.16, "src": 7654321, "tag": "Engine 5" }]'
			)
		).toEqual([
			{ pos: 0, src: 1234567 },
			{ pos: 2.16, src: 7654321, tag: 'Engine 5' }
		]);
		expect(parseSources('[]')).toEqual([]);
	});

	it("reads Trunk-Recorder's unescaped tag", () => {
		const text =
			'[{ "pos": 0.00, "src": 1234567, "tag": "Engine "5" Cab" }, { "pos": 1.50, "src": 42, "tag": "B\\C" }]';
		expect(() => JSON.parse(text)).toThrow();
		expect(parseSources(text)).toEqual([
			{ pos: 0, src: 1234567, tag: 'Engine "5" Cab' },
			{ pos: 1.5, src: 42, tag: 'B\\C' }
		]);
	});

	it('keeps going on garbage', () => {
		expect(parseSources('not json')).toEqual([]);
		expect(parseSources('[{"src": "x"}, {"src": 5}, 3, null]')).toEqual([{ pos: 0, src: 5 }]);
		expect(
			parseFrequencies(
				'[{"freq": 851012500, "time": 1718145678, "pos": 0.00, "len": 2.16, "errorCount": 0, "spikeCount": 0}]'
			)
		).toEqual([
			{ freq: 851012500, time: 1718145678, pos: 0, len: 2.16, errorCount: 0, spikeCount: 0 }
		]);
		expect(parseFrequencies('[{"freq": 851012500, "pos": 0.00,}')).toEqual([
			{ freq: 851012500, time: 0, pos: 0, len: 0, errorCount: 0, spikeCount: 0 }
		]);
		expect(parseFrequencies('{}')).toEqual([]);
	});

	it('reads patches in every shape', () => {
		expect(parsePatches('[]')).toEqual([]);
		expect(parsePatches('[101,102]')).toEqual([101, 102]);
		expect(parsePatches('[PATCHGROUP,101,102]')).toEqual([101, 102]);
		expect(parsePatches('[52198, 52199, 52199]')).toEqual([52198, 52199]);
		expect(parsePatches('')).toEqual([]);
	});
});

// Inputs shaped to make backtracking or quadratic de-duplication blow up. Each is far over the
// upload's field limits (64 KiB): the parsers themselves must stay linear, whatever the caller.
const MiB = 1024 * 1024;
const repeat = (unit: string, bytes: number) => unit.repeat(Math.ceil(bytes / unit.length));

describe('hostile JSON fields', () => {
	it('reads sources full of unclosed tags, quotes and keys in one pass', () => {
		// Many tag openings and no valid end: the old backtracking regex took about 20 s on this.
		const tags = '[{"src": 5, ' + repeat('"tag": "', 256 * 1024) + 'x}]';
		expect(parseSources(tags)).toEqual([{ pos: 0, src: 5 }]);
		const [tagged] = parseSources('[{"src": 5, "tag": "' + repeat('"tag": ",', MiB) + '}]');
		expect(tagged).toMatchObject({ src: 5, tag: expect.stringMatching(/^"tag": ",/) });
		expect(tagged.tag).toHaveLength(100);
		const commas = '[{"src": 6, "tag": "a' + repeat(', "', MiB) + ' x}';
		expect(parseSources(commas)).toEqual([{ pos: 0, src: 6 }]);
		const keys = '{' + repeat('"src"    ', MiB) + '}';
		expect(parseSources(keys)).toEqual([]);
		const braces = repeat('{', MiB) + '{"src": 7}';
		expect(parseSources(braces)).toEqual([{ pos: 0, src: 7 }]);
	});

	it('de-duplicates 1 MiB of patches in one pass and keeps at most the cap', () => {
		const distinct = Array.from({ length: 130_000 }, (_, i) => i + 1);
		const asJson = parsePatches(JSON.stringify(distinct));
		expect(asJson).toHaveLength(MAX_PATCHES);
		expect(asJson[0]).toBe(1);
		expect(parsePatches(distinct.join(' x '))).toEqual(distinct.slice(0, MAX_PATCHES));
		expect(parsePatches(repeat('7,', MiB))).toEqual([7]);
	});

	it('bounds what a call stores: entries capped, absurd numbers dropped, JSON within its byte budget', () => {
		const item = '{"freq":1,"time":1e300,"pos":-5,"len":99999999,"errorCount":1e20}';
		const freqs = parseFrequencies('[' + repeat(item + ',', MiB) + item + ']');
		expect(freqs).toHaveLength(MAX_LIST_ENTRIES);
		expect(freqs[0]).toEqual({ freq: 1, time: 0, pos: 0, len: 0, errorCount: 0, spikeCount: 0 });
		expect(JSON.stringify(freqs).length).toBeLessThanOrEqual(MAX_LIST_JSON_BYTES);

		// The same through the lenient path (bad JSON), and the widest entries a field can hold.
		const wide = `{"src": 999999999999999, "pos": 86399.99, "tag": "${'\u{1F4FB}'.repeat(400)}"}`;
		const sources = parseSources('[' + repeat(wide + ',', MiB) + ']x');
		expect(sources.length).toBeGreaterThan(0);
		expect(sources[0].tag).toHaveLength(100);
		expect(Buffer.byteLength(JSON.stringify(sources))).toBeLessThanOrEqual(MAX_LIST_JSON_BYTES);
		const badFreqs = parseFrequencies(repeat('{"freq": 851012500.5, "time": 1718145678}', MiB));
		expect(badFreqs).toHaveLength(MAX_LIST_ENTRIES);
		expect(badFreqs[0]).toMatchObject({ freq: 851012501, time: 1718145678 });
	});

	it('strips control characters from labels and cuts them whole', () => {
		expect(cleanLabel('Fire\u0000 Disp\u001batch\n')).toBe('Fire Dispatch');
		expect(cleanLabel('a'.repeat(5000))).toHaveLength(200);
		expect(cleanLabel('a' + '\u{1F4FB}'.repeat(10), 4)).toBe('a\u{1F4FB}');
	});
});

describe('parseFlag (emergency)', () => {
	it('reads 1/0, true/false, yes/no, on/off in any case; anything else is no', () => {
		for (const yes of ['1', 'true', 'TRUE', ' yes ', 'On']) expect(parseFlag(yes)).toBe(true);
		for (const no of ['0', 'false', 'no', 'off', '', '2', 'emergency', undefined, null])
			expect(parseFlag(no)).toBe(false);
	});
});

import { describe, expect, it } from 'vitest';
import { CsvError, formatTalkgroupCsv, parseTalkgroupCsv, readCsvRecords } from './talkgroup-csv';

const CANONICAL = [
	'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category,Priority',
	'101,065,DCFD 01 Disp,D,01 Dispatch,Fire Dispatch,Fire,1',
	'2227,8b3,DC StcarYard,DE,"Streetcar Yard, North",Transportation,Services,3',
	'3001,bb9,"Ops ""Alpha""",T,"Line one',
	'line two",Law Tac,"Police, County",',
	'65535,ffff," padded ",A,,,,-1',
	''
].join('\n');

describe('reading CSV records', () => {
	it('handles quotes, doubled quotes, commas and newlines inside quotes, and every line ending', () => {
		const records = readCsvRecords('a,"b,c","d ""e"""\r\n"multi\nline",x\r\n\r\nlast,  trimmed  ');
		expect(records).toEqual([
			{ line: 1, fields: ['a', 'b,c', 'd "e"'] },
			{ line: 2, fields: ['multi\nline', 'x'] },
			{ line: 5, fields: ['last', 'trimmed'] }
		]);
		expect(readCsvRecords('1,2\r3,4').map((r) => r.fields)).toEqual([
			['1', '2'],
			['3', '4']
		]);
	});

	it('refuses an unclosed quote and text after a closing quote, naming the line', () => {
		expect(() => readCsvRecords('a,b\nc,"open')).toThrow(/line 2: a quoted field is not closed/);
		expect(() => readCsvRecords('a,"b"c')).toThrow(/line 1: unexpected text after a closing quote/);
	});
});

describe('Trunk-Recorder talkgroup CSV', () => {
	it('reads a file with a header: quoted commas, quotes, newlines, blanks and priorities', () => {
		const parsed = parseTalkgroupCsv(CANONICAL);
		expect(parsed.header).toBe(true);
		expect([...parsed.fields].sort()).toEqual([
			'alphaTag',
			'category',
			'description',
			'mode',
			'priority',
			'tag'
		]);
		expect(parsed.rows).toEqual([
			{
				decimal: 101,
				alphaTag: 'DCFD 01 Disp',
				mode: 'D',
				description: '01 Dispatch',
				tag: 'Fire Dispatch',
				category: 'Fire',
				priority: 1
			},
			{
				decimal: 2227,
				alphaTag: 'DC StcarYard',
				mode: 'DE',
				description: 'Streetcar Yard, North',
				tag: 'Transportation',
				category: 'Services',
				priority: 3
			},
			{
				decimal: 3001,
				alphaTag: 'Ops "Alpha"',
				mode: 'T',
				description: 'Line one\nline two',
				tag: 'Law Tac',
				category: 'Police, County',
				priority: null
			},
			{
				decimal: 65535,
				alphaTag: ' padded ',
				mode: 'A',
				description: '',
				tag: '',
				category: '',
				priority: -1
			}
		]);
	});

	it('writes exactly what it read (round trip)', () => {
		expect(formatTalkgroupCsv(parseTalkgroupCsv(CANONICAL).rows)).toBe(CANONICAL);
		const noPriority =
			'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category\n7,007,Seven,D,The seventh,Tag,Group\n';
		expect(formatTalkgroupCsv(parseTalkgroupCsv(noPriority).rows)).toBe(noPriority);
	});

	it('reads header columns by name, in any order and case, with RadioReference synonyms', () => {
		const parsed = parseTalkgroupCsv(
			'\uFEFFdec,MODE,description,AlphaTag,Group,Preferred NAC,Comment\r\n101,D,Dispatch,FD Disp,Fire,1000,hello\r\n'
		);
		expect(parsed.rows).toEqual([
			{
				decimal: 101,
				alphaTag: 'FD Disp',
				mode: 'D',
				description: 'Dispatch',
				tag: '',
				category: 'Fire',
				priority: null
			}
		]);
		expect([...parsed.fields].sort()).toEqual(['alphaTag', 'category', 'description', 'mode']);
		expect(parsed.ignoredColumns).toEqual(['Preferred NAC', 'Comment']);
	});

	it('reads headerless files in Trunk-Recorder order, and in RadioReference order when the modes say so', () => {
		const legacy = parseTalkgroupCsv(
			'101,65,D,FD Disp,Fire Dispatch,Fire Dispatch,Fire\n102,66,DE,FD Tac,Fire Tac,Fire-Tac,Fire,2\n'
		);
		expect(legacy.header).toBe(false);
		expect(legacy.rows[0]).toMatchObject({
			decimal: 101,
			mode: 'D',
			alphaTag: 'FD Disp',
			description: 'Fire Dispatch',
			category: 'Fire'
		});
		expect(legacy.rows[1]).toMatchObject({ mode: 'DE', alphaTag: 'FD Tac', priority: 2 });
		expect(legacy.fields.has('priority')).toBe(true);

		const rr = parseTalkgroupCsv('101,065,FD Disp,D,Fire Dispatch,Fire Dispatch,Fire\n');
		expect(rr.rows[0]).toMatchObject({ alphaTag: 'FD Disp', mode: 'D' });
		expect(rr.fields.has('priority')).toBe(false);

		const tabs = parseTalkgroupCsv('101\t65\tD\tFD Disp\tFire Dispatch\tFire Dispatch\tFire\n');
		expect(tabs.rows[0]).toMatchObject({ decimal: 101, alphaTag: 'FD Disp' });
	});

	it.each([
		['Decimal,Alpha Tag\nabc,Fire\n', /line 2: Decimal "abc" is not a talkgroup number/],
		['Decimal,Alpha Tag\n101,Fire\n101,Again\n', /line 3: talkgroup 101 is already on line 2/],
		['Hex,Alpha Tag\n65,Fire\n', /line 1: the header has no Decimal column/],
		['Decimal,Tag,tag\n1,a,b\n', /appears twice/],
		['Decimal,Priority\n1,high\n', /line 2: Priority "high" is not a whole number/],
		['101,65,D,FD Disp\n', /line 1: expected 7 or 8 columns/],
		['Decimal,Alpha Tag\n', /header but no talkgroups/],
		['\n\n', /no talkgroups/],
		[`Decimal,Alpha Tag\n1,${'x'.repeat(201)}\n`, /longer than 200/]
	])('refuses %j', (text, message) => {
		expect(() => parseTalkgroupCsv(text)).toThrow(CsvError);
		expect(() => parseTalkgroupCsv(text)).toThrow(message);
	});
});

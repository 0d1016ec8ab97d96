/**
 * Trunk-Recorder's talkgroup CSV (its `talkgroupsFile`), read and written.
 *
 * - With a header row (what current Trunk-Recorder requires; the first column is `Decimal`):
 *   columns by name, in any order, names in any case. Known: Decimal (required), Hex, Alpha Tag,
 *   Mode, Description, Tag, Category (also `Group`), Priority. Others (Preferred NAC, Comment…)
 *   are reported and ignored.
 * - Without a header (older Trunk-Recorder): 7 or 8 fixed columns. Trunk-Recorder's own order is
 *   Decimal,Hex,Mode,Alpha Tag,Description,Tag,Group[,Priority]; RadioReference's is
 *   Decimal,Hex,Alpha Tag,Mode,… When every row has a mode-like value (A, D, M, T, X, optionally
 *   followed by e/E) in the fourth column and not all in the third, the RadioReference order is used.
 * - RFC 4180 quoting: fields in double quotes may hold commas, newlines and doubled quotes.
 *   Unquoted fields are trimmed. CRLF, LF or CR line ends; a UTF-8 BOM is skipped. A file whose
 *   first line has tabs and no commas is read as tab-separated.
 * - Hex is ignored on import (Trunk-Recorder ignores it too) and written from Decimal on export.
 */
export interface TalkgroupCsvRow {
	decimal: number;
	alphaTag: string;
	mode: string;
	description: string;
	tag: string;
	category: string;
	priority: number | null;
}

export type CsvField = Exclude<keyof TalkgroupCsvRow, 'decimal'>;

export interface ParsedTalkgroupCsv {
	rows: TalkgroupCsvRow[];
	/** The fields the file carries; absent ones leave existing values alone on import. */
	fields: Set<CsvField>;
	header: boolean;
	ignoredColumns: string[];
}

export class CsvError extends Error {
	constructor(
		readonly line: number,
		message: string
	) {
		super(`line ${line}: ${message}`);
		this.name = 'CsvError';
	}
}

const MAX_TEXT = 200;
const MAX_TALKGROUP = 2_147_483_647;
const ALL_FIELDS: CsvField[] = ['alphaTag', 'mode', 'description', 'tag', 'category', 'priority'];

const HEADER_NAMES: Record<string, keyof TalkgroupCsvRow | 'hex'> = {
	decimal: 'decimal',
	dec: 'decimal',
	hex: 'hex',
	alphatag: 'alphaTag',
	mode: 'mode',
	description: 'description',
	tag: 'tag',
	category: 'category',
	group: 'category',
	priority: 'priority'
};

const LEGACY_ORDER: Array<keyof TalkgroupCsvRow | 'hex'> = [
	'decimal',
	'hex',
	'mode',
	'alphaTag',
	'description',
	'tag',
	'category',
	'priority'
];
const RADIOREFERENCE_ORDER: Array<keyof TalkgroupCsvRow | 'hex'> = [
	'decimal',
	'hex',
	'alphaTag',
	'mode',
	'description',
	'tag',
	'category',
	'priority'
];
const EXPORT_HEADER = ['Decimal', 'Hex', 'Alpha Tag', 'Mode', 'Description', 'Tag', 'Category'];

const modeLike = (value: string) => /^[ADMTX][eE]?$/.test(value);

interface CsvRecord {
	line: number;
	fields: string[];
}

/** Splits CSV text into records, keeping each record's first line number for messages. */
export function readCsvRecords(text: string, separator = ','): CsvRecord[] {
	const records: CsvRecord[] = [];
	let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	let line = 1;
	let fields: string[] = [];
	let field = '';
	let quoted = false;
	let recordLine = 1;
	const endField = () => {
		fields.push(quoted ? field : field.trim());
		field = '';
		quoted = false;
	};
	const endRecord = () => {
		endField();
		// A blank line is one empty unquoted field: skip it.
		if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
		fields = [];
	};
	while (i < text.length) {
		const ch = text[i];
		if (ch === '"' && field.trim() === '' && !quoted) {
			// Opening quote: read up to the closing one, "" meaning a literal quote.
			const start = line;
			field = '';
			quoted = true;
			i++;
			for (;;) {
				if (i >= text.length) throw new CsvError(start, 'a quoted field is not closed');
				const c = text[i];
				if (c === '"') {
					if (text[i + 1] === '"') {
						field += '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
				field += c;
				i++;
			}
			// Only blanks may follow the closing quote before the separator or line end.
			while (text[i] === ' ' || (separator !== '\t' && text[i] === '\t')) i++;
			if (i < text.length && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r') {
				throw new CsvError(line, 'unexpected text after a closing quote');
			}
			continue;
		}
		if (quoted && ch !== separator && ch !== '\n' && ch !== '\r') {
			throw new CsvError(line, 'unexpected text after a closing quote');
		}
		if (ch === separator) {
			endField();
			i++;
		} else if (ch === '\n' || ch === '\r') {
			endRecord();
			i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
			line++;
			recordLine = line;
		} else {
			field += ch;
			i++;
		}
	}
	if (field !== '' || quoted || fields.length) endRecord();
	return records;
}

function detectSeparator(text: string): string {
	const firstLine = text.split(/\r\n|\n|\r/, 1)[0] ?? '';
	return !firstLine.includes(',') && firstLine.includes('\t') ? '\t' : ',';
}

export function parseTalkgroupCsv(text: string): ParsedTalkgroupCsv {
	const records = readCsvRecords(text, detectSeparator(text));
	if (!records.length) throw new CsvError(1, 'the file has no talkgroups');

	const header = !/^\d+$/.test(records[0].fields[0]);
	let columns: Array<keyof TalkgroupCsvRow | 'hex' | null>;
	const ignoredColumns: string[] = [];
	let body = records;
	if (header) {
		const seen = new Set<string>();
		columns = records[0].fields.map((name) => {
			const key = HEADER_NAMES[name.toLowerCase().replace(/[\s_-]+/g, '')];
			if (!key) {
				if (name !== '') ignoredColumns.push(name);
				return null;
			}
			if (seen.has(key)) throw new CsvError(records[0].line, `the column "${name}" appears twice`);
			seen.add(key);
			return key;
		});
		if (!seen.has('decimal'))
			throw new CsvError(records[0].line, 'the header has no Decimal column');
		body = records.slice(1);
		if (!body.length)
			throw new CsvError(records[0].line, 'the file has a header but no talkgroups');
	} else {
		for (const r of records) {
			if (r.fields.length !== 7 && r.fields.length !== 8) {
				throw new CsvError(
					r.line,
					`expected 7 or 8 columns (no header row), found ${r.fields.length}`
				);
			}
		}
		const radioReference =
			records.every((r) => modeLike(r.fields[3])) && !records.every((r) => modeLike(r.fields[2]));
		columns = radioReference ? RADIOREFERENCE_ORDER : LEGACY_ORDER;
	}

	const fields = new Set<CsvField>(ALL_FIELDS.filter((f) => columns.includes(f)));
	if (!header && !records.some((r) => r.fields.length === 8)) fields.delete('priority');

	const rows: TalkgroupCsvRow[] = [];
	const firstLineOf = new Map<number, number>();
	for (const record of body) {
		const row: TalkgroupCsvRow = {
			decimal: 0,
			alphaTag: '',
			mode: '',
			description: '',
			tag: '',
			category: '',
			priority: null
		};
		columns.forEach((column, index) => {
			const value = record.fields[index] ?? '';
			if (column === null || column === 'hex') return;
			if (column === 'decimal') {
				if (!/^\d+$/.test(value) || Number(value) > MAX_TALKGROUP) {
					throw new CsvError(record.line, `Decimal "${value}" is not a talkgroup number`);
				}
				row.decimal = Number(value);
			} else if (column === 'priority') {
				if (value === '') row.priority = null;
				else if (/^-?\d+$/.test(value) && Math.abs(Number(value)) <= 1000)
					row.priority = Number(value);
				else throw new CsvError(record.line, `Priority "${value}" is not a whole number`);
			} else {
				if (value.length > MAX_TEXT)
					throw new CsvError(record.line, `${column} is longer than ${MAX_TEXT} characters`);
				if (column === 'mode' && value.length > 8)
					throw new CsvError(record.line, `Mode "${value}" is too long`);
				row[column] = value;
			}
		});
		const earlier = firstLineOf.get(row.decimal);
		if (earlier !== undefined)
			throw new CsvError(record.line, `talkgroup ${row.decimal} is already on line ${earlier}`);
		firstLineOf.set(row.decimal, record.line);
		rows.push(row);
	}
	return { rows, fields, header, ignoredColumns };
}

function quote(value: string): string {
	return /[",\r\n\t]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes the file with a header; the Priority column only when some talkgroup has one. */
export function formatTalkgroupCsv(rows: TalkgroupCsvRow[]): string {
	const withPriority = rows.some((r) => r.priority !== null);
	const lines = [(withPriority ? [...EXPORT_HEADER, 'Priority'] : EXPORT_HEADER).join(',')];
	for (const r of rows) {
		const cells = [
			String(r.decimal),
			r.decimal.toString(16).padStart(3, '0'),
			quote(r.alphaTag),
			quote(r.mode),
			quote(r.description),
			quote(r.tag),
			quote(r.category)
		];
		if (withPriority) cells.push(r.priority === null ? '' : String(r.priority));
		lines.push(cells.join(','));
	}
	return lines.join('\n') + '\n';
}

import fs from 'node:fs';
import { absoluteAudioPath } from '../calls/storage';
import type { CallSelection } from '../calls/dto';

/** One shared call as the downloads name and describe it. */
export interface IncidentEntry {
	n: number;
	id: number;
	/** Epoch ms. */
	dateTime: number;
	system: number;
	systemLabel: string;
	talkgroup: number;
	talkgroupLabel: string;
	talkgroupName: string;
	duration: number;
	frequency: number | null;
	/** The name inside the zip; null when the stored file is gone. */
	file: string | null;
	/** Absolute path on disk (never sent). */
	path: string | null;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '-');

/** The link's calls with their files checked on disk, in order; a missing file is listed, not fatal. */
export async function incidentEntries(
	recordingsDir: string,
	rows: Array<CallSelection & { audio_path: string }>
): Promise<IncidentEntry[]> {
	const entries: IncidentEntry[] = [];
	for (const [i, r] of rows.entries()) {
		const abs = absoluteAudioPath(recordingsDir, r.audio_path);
		const ok = abs ? (await fs.promises.stat(abs).catch(() => null))?.isFile() : false;
		const ext = (r.audio_path.split('.').pop() ?? 'bin').replace(/[^a-z0-9]/gi, '');
		const n = i + 1;
		entries.push({
			n,
			id: r.id,
			dateTime: r.date_time,
			system: r.system_ref,
			systemLabel: r.system_label,
			talkgroup: r.talkgroup_ref,
			talkgroupLabel: r.tg_label,
			talkgroupName: r.tg_name,
			duration: r.duration,
			frequency: r.frequency,
			file: ok
				? `${String(n).padStart(3, '0')}-${stamp(r.date_time)}-tg${r.talkgroup_ref}-${r.id}.${ext}`
				: null,
			path: ok ? abs : null
		});
	}
	return entries;
}

const CSV_COLUMNS = [
	'n',
	'id',
	'time_utc',
	'system',
	'system_label',
	'talkgroup',
	'talkgroup_label',
	'talkgroup_name',
	'duration_s',
	'frequency_hz',
	'file'
] as const;

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets never run it as a formula. */
function csvCell(value: string | number | null): string {
	let text = value === null ? '' : String(value);
	if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function indexCsv(entries: IncidentEntry[]): string {
	const lines = [CSV_COLUMNS.join(',')];
	for (const e of entries) {
		lines.push(
			[
				e.n,
				e.id,
				new Date(e.dateTime).toISOString(),
				e.system,
				e.systemLabel,
				e.talkgroup,
				e.talkgroupLabel,
				e.talkgroupName,
				e.duration,
				e.frequency,
				e.file ?? 'missing'
			]
				.map(csvCell)
				.join(',')
		);
	}
	return lines.join('\r\n') + '\r\n';
}

export function indexJson(title: string, entries: IncidentEntry[]): string {
	return JSON.stringify(
		{
			title,
			calls: entries.map(({ path: _path, dateTime, ...rest }) => ({
				...rest,
				dateTime: new Date(dateTime).toISOString()
			}))
		},
		null,
		2
	);
}

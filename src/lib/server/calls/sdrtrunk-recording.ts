import { parseBuffer, type IAudioMetadata } from 'music-metadata';
import { sdrtrunkCall, type Multipart } from './recorder-forms';
import { SidecarError } from './sidecar';

/**
 * A recording SDRTrunk wrote to its recordings folder, turned into the multipart body its
 * rdio-scanner upload sends (key, system, dateTime, talkgroup, source, talkerAlias, labels, the
 * audio last), so folder ingest judges it exactly as an HTTP upload.
 *
 * What SDRTrunk writes (docs/recorders.md):
 * - file name `YYYYMMDD_HHMMSS<System>_<Site>_<Channel>__TO_<talkgroup>_FROM_<radio>.mp3` (or
 *   `.wav`), in the recorder's local time;
 * - MP3: ID3v2.4 title = talkgroup with its aliases (`52198"Fire Dispatch"`), artist = radio with
 *   its aliases (`1612345 Engine 5`), grouping = system, album = channel name, comment =
 *   `Date:yyyy-MM-dd HH:mm:ss.SSS;System:…;Site:…;Name:…;Decoder:…;Frequency:…;`; WAV: the same
 *   values in a RIFF LIST/INFO chunk.
 * Tags win over the file name; a value found in neither is left out, and the upload checks say
 * which one is missing.
 */

/** Wall-clock text (the recorder's local time, taken as this server's) → epoch ms, or null. */
function localTime(y: string, mo: string, d: string, h: string, mi: string, s: string, ms = '0') {
	const date = new Date(+y, +mo - 1, +d, +h, +mi, +s, +ms.padEnd(3, '0').slice(0, 3));
	return Number.isNaN(date.getTime()) || date.getFullYear() !== +y ? null : date.getTime();
}

export interface SdrtrunkMeta {
	/** Epoch ms of the recording, or null when neither the tags nor the name carry it. */
	at: number | null;
	talkgroup: number | null;
	talkgroupLabel: string;
	source: number | null;
	talkerAlias: string;
	systemLabel: string;
	frequency: number | null;
}

/** What the file name says: time, talkgroup (`_TO_`) and radio (`_FROM_`). */
export function fromFileName(name: string): Pick<SdrtrunkMeta, 'at' | 'talkgroup' | 'source'> {
	const time = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(name);
	const to = /_TO_(\d{1,15})/.exec(name);
	const from = /_FROM_(\d{1,15})/.exec(name);
	return {
		at: time ? localTime(time[1], time[2], time[3], time[4], time[5], time[6]) : null,
		talkgroup: to ? Number(to[1]) : null,
		source: from ? Number(from[1]) : null
	};
}

/** `Key:value;Key:value;` → a map (values may hold colons; the first one splits). */
export function commentFields(comment: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const part of comment.slice(0, 4096).split(';')) {
		const at = part.indexOf(':');
		if (at > 0) out.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
	}
	return out;
}

/** The comment as SDRTrunk (COMM) or FFmpeg before 6.1 (TXXX:comment) writes it. */
function commentOf(meta: IAudioMetadata): string {
	const text = meta.common.comment?.[0]?.text;
	if (text) return text;
	for (const tags of Object.values(meta.native))
		for (const tag of tags) {
			const value = tag.value as { description?: string; text?: string } | string;
			if (tag.id === 'TXXX:comment' && typeof value === 'string') return value;
			if (tag.id === 'TXXX' && typeof value === 'object' && value?.description === 'comment')
				return value.text ?? '';
		}
	return '';
}

/** `52198"Fire Dispatch","Fire Ops"` → 52198 and `Fire Dispatch`; `1612345 Engine 5` → 1612345 and `Engine 5`. */
function idAndAlias(text: string | undefined): { id: number | null; alias: string } {
	const match = /^\s*(\d{1,15})\s*(.*)$/s.exec(text ?? '');
	if (!match) return { id: null, alias: '' };
	const alias = match[2].replace(/^"|"$/g, '').split('","')[0].trim();
	return { id: Number(match[1]), alias: alias.slice(0, 200) };
}

export function sdrtrunkMeta(fileName: string, meta: IAudioMetadata): SdrtrunkMeta {
	const named = fromFileName(fileName);
	const comment = commentFields(commentOf(meta));
	const to = idAndAlias(meta.common.title);
	const from = idAndAlias(meta.common.artist);
	const date = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(
		comment.get('date') ?? ''
	);
	const at = date ? localTime(date[1], date[2], date[3], date[4], date[5], date[6], date[7]) : null;
	const frequency = Number(comment.get('frequency'));
	return {
		at: at ?? named.at,
		talkgroup: to.id ?? named.talkgroup,
		talkgroupLabel: to.alias,
		source: from.id ?? named.source,
		talkerAlias: from.alias,
		systemLabel: (meta.common.grouping || comment.get('system') || '').slice(0, 200),
		frequency: Number.isSafeInteger(frequency) && frequency > 0 ? frequency : null
	};
}

/** The recording as SDRTrunk's upload would send it; SidecarError when the audio is unreadable. */
export async function sdrtrunkRecordingForm(
	audio: Buffer,
	fileName: string,
	opts: { key: string; system: number }
): Promise<Multipart> {
	let meta: IAudioMetadata;
	try {
		meta = await parseBuffer(new Uint8Array(audio), { path: fileName, size: audio.length });
	} catch (err) {
		throw new SidecarError(`unreadable recording: ${(err as Error).message}`);
	}
	// Tags alone (a file cut short) or bytes of nothing known: no call to store.
	if (!meta.format.container || !meta.format.codec)
		throw new SidecarError('unreadable recording: no MP3 or WAV audio found');
	const m = sdrtrunkMeta(fileName, meta);
	return sdrtrunkCall({
		key: opts.key,
		system: opts.system,
		// Missing values go through empty: the upload checks name what is wrong.
		dateTime: (m.at === null ? '' : Math.floor(m.at / 1000)) as number,
		talkgroup: (m.talkgroup ?? '') as number,
		source: (m.source ?? '') as number,
		frequency: m.frequency ?? 0, // "0" reads as no frequency
		talkerAlias: m.talkerAlias,
		talkgroupLabel: m.talkgroupLabel,
		systemLabel: m.systemLabel,
		audio,
		filename: fileName
	});
}

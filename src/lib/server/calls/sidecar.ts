import { trunkRecorderForm, type Multipart } from './recorder-forms';

/**
 * A Trunk-Recorder call (audio file + its `.json` sidecar, as written with `audioArchive` and
 * `callLog`) turned into the multipart body its rdioscanner_uploader would send, so folder ingest
 * goes through exactly the validation HTTP uploads do.
 */

/** A call whose files cannot be turned into an upload; `status` is what the event log records. */
export class SidecarError extends Error {
	constructor(
		message: string,
		readonly status = 400
	) {
		super(message);
	}
}

const TYPES: Record<string, string> = {
	wav: 'audio/wav',
	m4a: 'audio/mp4',
	mp3: 'audio/mpeg'
};

export const AUDIO_EXTENSIONS = Object.keys(TYPES);

const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const array = (v: unknown) => (Array.isArray(v) ? v : []);

export function sidecarForm(
	json: string,
	audio: Buffer,
	audioName: string,
	opts: { key: string; system: number }
): Multipart {
	let meta: Record<string, unknown>;
	try {
		meta = JSON.parse(json);
	} catch (err) {
		throw new SidecarError(`bad JSON in sidecar: ${(err as Error).message}`);
	}
	if (!meta || typeof meta !== 'object' || Array.isArray(meta))
		throw new SidecarError('bad JSON in sidecar: not an object');
	const ext = audioName.split('.').pop()?.toLowerCase() ?? '';
	const sources = array(meta.srcList).map((s: Record<string, unknown>) => ({
		pos: s?.pos,
		src: s?.src,
		...(typeof s?.tag === 'string' && s.tag ? { tag: s.tag } : {})
	}));
	const frequencies = array(meta.freqList).map((f: Record<string, unknown>) => ({
		freq: f?.freq,
		time: f?.time,
		pos: f?.pos,
		len: f?.len,
		errorCount: f?.error_count,
		spikeCount: f?.spike_count
	}));
	return trunkRecorderForm({
		key: opts.key,
		audio,
		audioName,
		audioType: (TYPES[ext] ?? 'application/octet-stream') as 'audio/wav',
		// Missing or malformed values go through as sent: the upload checks name what is wrong.
		dateTime: (meta.start_time ?? '') as number,
		system: opts.system,
		systemLabel: text(meta.short_name),
		talkgroup: (meta.talkgroup ?? '') as number,
		talkgroupLabel: text(meta.talkgroup_tag),
		talkgroupName: text(meta.talkgroup_description),
		talkgroupGroup: text(meta.talkgroup_group),
		talkgroupTag: text(meta.talkgroup_group_tag),
		frequency: typeof meta.freq === 'number' ? meta.freq : 0, // "0" reads as no frequency
		frequencies: JSON.stringify(frequencies),
		sources: JSON.stringify(sources),
		patches: JSON.stringify(array(meta.patched_talkgroups)),
		// The call JSON's 0/1 (or true/false): sent as text, read by the upload's lenient parser.
		...(meta.emergency === undefined ? {} : { emergency: String(meta.emergency) })
	});
}

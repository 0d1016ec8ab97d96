import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * A recording shaped as SDRTrunk writes it to its recordings folder, made by the real FFmpeg:
 * a tone encoded as MP3 (ID3v2.4 tags) or WAV (RIFF INFO tags), with SDRTrunk's tag layout —
 * title = talkgroup and its alias, artist = radio and its alias, grouping = system, comment =
 * `Date:…;System:…;Frequency:…;` (docs/recorders.md).
 */
export interface RecordingTags {
	talkgroup: number;
	talkgroupAlias?: string;
	radio: number;
	radioAlias?: string;
	system: string;
	/** `yyyy-MM-dd HH:mm:ss.SSS`, the recorder's local time. */
	date: string;
	frequency: number;
}

/** SDRTrunk's file name: `YYYYMMDD_HHMMSS<System>_<Site>_<Channel>__TO_<tg>_FROM_<radio>`. */
export function sdrtrunkFileName(tags: RecordingTags, ext: 'mp3' | 'wav'): string {
	const [d, t] = tags.date.split(' ');
	const stamp = `${d.replaceAll('-', '')}_${t.slice(0, 8).replaceAll(':', '')}`;
	return `${stamp}${tags.system}_North_Fire__TO_${tags.talkgroup}_FROM_${tags.radio}.${ext}`;
}

export function makeSdrtrunkRecording(
	dir: string,
	tags: RecordingTags,
	ext: 'mp3' | 'wav' = 'mp3',
	seconds = 2
): string {
	const file = path.join(dir, sdrtrunkFileName(tags, ext));
	const alias = (a?: string, quoted = false) => (a ? (quoted ? `"${a}"` : ` ${a}`) : '');
	const codec =
		ext === 'mp3'
			? ['-c:a', 'libmp3lame', '-b:a', '32k', '-id3v2_version', '4']
			: ['-c:a', 'pcm_s16le'];
	execFileSync(
		'ffmpeg',
		[
			'-hide_banner',
			'-nostdin',
			'-loglevel',
			'error',
			'-f',
			'lavfi',
			'-i',
			`sine=frequency=700:duration=${seconds}`,
			'-ac',
			'1',
			'-ar',
			'8000',
			...codec,
			'-metadata',
			`title=${tags.talkgroup}${alias(tags.talkgroupAlias, true)}`,
			'-metadata',
			`artist=${tags.radio}${alias(tags.radioAlias)}`,
			'-metadata',
			`grouping=${tags.system}`,
			'-metadata',
			'album=Fire',
			'-metadata',
			'genre=Scanner Audio',
			'-metadata',
			`comment=Date:${tags.date};System:${tags.system};Site:North;Name:Fire;Decoder:P25 Phase 1;Frequency:${tags.frequency};`,
			'-y',
			file
		],
		{ stdio: 'ignore' }
	);
	return file;
}

/**
 * The audio's type, found without trusting the file part's Content-Type (SDRTrunk sends none, which
 * parsers report as text/plain; Trunk-Recorder sends application/octet-stream). In order:
 * the `audioType`/`audioMime` field, the extension of `audioName`, the extension of the part's
 * file name, then the file's first bytes.
 */
export interface AudioType {
	/** Canonical MIME type served back to browsers. */
	mime: string;
	/** Extension of the stored file, without the dot. */
	ext: string;
}

const WAV: AudioType = { mime: 'audio/wav', ext: 'wav' };
const MP3: AudioType = { mime: 'audio/mpeg', ext: 'mp3' };
const M4A: AudioType = { mime: 'audio/mp4', ext: 'm4a' };
const AAC: AudioType = { mime: 'audio/aac', ext: 'aac' };
const OGG: AudioType = { mime: 'audio/ogg', ext: 'ogg' };
const FLAC: AudioType = { mime: 'audio/flac', ext: 'flac' };
const WEBM: AudioType = { mime: 'audio/webm', ext: 'webm' };

const BY_MIME: Record<string, AudioType> = {
	'audio/wav': WAV,
	'audio/wave': WAV,
	'audio/x-wav': WAV,
	'audio/vnd.wave': WAV,
	'audio/mpeg': MP3,
	'audio/mp3': MP3,
	'audio/mpeg3': MP3,
	'audio/x-mpeg-3': MP3,
	'audio/mp4': M4A,
	'audio/m4a': M4A,
	'audio/x-m4a': M4A,
	'audio/mp4a-latm': M4A,
	'video/mp4': M4A,
	'audio/aac': AAC,
	'audio/x-aac': AAC,
	'audio/aacp': AAC,
	'audio/ogg': OGG,
	'audio/opus': OGG,
	'audio/flac': FLAC,
	'audio/x-flac': FLAC,
	'audio/webm': WEBM
};

const BY_EXT: Record<string, AudioType> = {
	wav: WAV,
	wave: WAV,
	mp3: MP3,
	m4a: M4A,
	mp4: M4A,
	aac: AAC,
	ogg: OGG,
	oga: OGG,
	opus: OGG,
	flac: FLAC,
	webm: WEBM
};

export function typeFromMime(value: string | undefined | null): AudioType | null {
	const mime = (value ?? '').split(';')[0].trim().toLowerCase();
	return BY_MIME[mime] ?? null;
}

export function typeFromName(name: string | undefined | null): AudioType | null {
	const match = /\.([A-Za-z0-9]{1,5})\s*$/.exec(name ?? '');
	return match ? (BY_EXT[match[1].toLowerCase()] ?? null) : null;
}

/** Magic bytes: RIFF…WAVE, ID3 or an MPEG audio frame sync, ftyp (MP4/M4A), OggS, fLaC, EBML. */
export function typeFromBytes(head: Uint8Array): AudioType | null {
	const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
	if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return WAV;
	if (head.length >= 3 && ascii(0, 3) === 'ID3') return MP3;
	if (head.length >= 8 && ascii(4, 8) === 'ftyp') return M4A;
	if (head.length >= 4 && ascii(0, 4) === 'OggS') return OGG;
	if (head.length >= 4 && ascii(0, 4) === 'fLaC') return FLAC;
	if (
		head.length >= 4 &&
		head[0] === 0x1a &&
		head[1] === 0x45 &&
		head[2] === 0xdf &&
		head[3] === 0xa3
	)
		return WEBM;
	if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xf0) === 0xf0) {
		// 0xFFF: ADTS AAC has layer bits 00; MPEG audio layers are 01..11.
		return (head[1] & 0x06) === 0 ? AAC : MP3;
	}
	if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0) return MP3; // MPEG 2.5 sync
	return null;
}

export function detectAudioType(input: {
	audioType?: string;
	audioMime?: string;
	audioName?: string;
	fileName?: string;
	head: Uint8Array;
}): AudioType | null {
	return (
		typeFromMime(input.audioType) ??
		typeFromMime(input.audioMime) ??
		typeFromName(input.audioName) ??
		typeFromName(input.fileName) ??
		typeFromBytes(input.head)
	);
}

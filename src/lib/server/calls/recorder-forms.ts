/**
 * Multipart bodies built byte for byte the way each recorder builds them (docs/recorders.md). The
 * server uses them for folder ingest and downstream forwarding; `npm run simulate`, the benches
 * and the integration tests import them from here, so what the tests prove is what is sent.
 */

export interface Multipart {
	body: Buffer;
	contentType: string;
}

export type FormPart =
	| { name: string; value: string }
	| { name: string; file: Buffer; filename: string; contentType?: string };

/**
 * libcurl's form (Trunk-Recorder, curl -F): boundary of 24 dashes + 16 hex digits, the file part
 * with a Content-Type (application/octet-stream unless given), text parts without one.
 */
export function curlForm(parts: FormPart[], boundaryHex = '3f9c0a7d5e21b846'): Multipart {
	const boundary = '------------------------' + boundaryHex;
	const chunks: Buffer[] = [];
	for (const part of parts) {
		if ('file' in part) {
			chunks.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
						`Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
					'latin1'
				),
				part.file,
				Buffer.from('\r\n')
			);
		} else {
			chunks.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
					'utf8'
				)
			);
		}
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface TrunkRecorderCall {
	key: string;
	audio: Buffer;
	audioName: string;
	audioType: 'audio/wav' | 'audio/mp4';
	/** Unix seconds. */
	dateTime: number;
	system: number;
	systemLabel: string;
	talkgroup: number;
	talkgroupLabel?: string;
	talkgroupName?: string;
	talkgroupGroup?: string;
	talkgroupTag?: string;
	frequency?: number;
	frequencies?: string;
	sources?: string;
	patches?: string;
	/** As the call JSON has it (0/1); sent only when given. */
	emergency?: number | string;
}

/** Trunk-Recorder's rdioscanner_uploader: the audio FIRST, before `key`, then the fields in its order. */
export function trunkRecorderForm(c: TrunkRecorderCall): Multipart {
	return curlForm([
		{ name: 'audio', file: c.audio, filename: c.audioName },
		{ name: 'audioName', value: c.audioName },
		{ name: 'audioType', value: c.audioType },
		{ name: 'dateTime', value: String(c.dateTime) },
		...(c.emergency === undefined ? [] : [{ name: 'emergency', value: String(c.emergency) }]),
		{ name: 'frequencies', value: c.frequencies ?? '[]' },
		{ name: 'frequency', value: String(c.frequency ?? 851012500) },
		{ name: 'key', value: c.key },
		{ name: 'patches', value: c.patches ?? '[]' },
		{ name: 'talkgroup', value: String(c.talkgroup) },
		{ name: 'talkgroupGroup', value: c.talkgroupGroup ?? '' },
		{ name: 'talkgroupLabel', value: c.talkgroupLabel ?? '' },
		{ name: 'talkgroupTag', value: c.talkgroupTag ?? '' },
		{ name: 'talkgroupName', value: c.talkgroupName ?? '' },
		{ name: 'sources', value: c.sources ?? '[]' },
		{ name: 'system', value: String(c.system) },
		{ name: 'systemLabel', value: c.systemLabel }
	]);
}

export const SDRTRUNK_BOUNDARY = '--sdrtrunk-sdrtrunk-sdrtrunk';

/**
 * SDRTrunk's hand-built body: each text part as `--BOUNDARY\r\n` + disposition + value + `\r\n`,
 * then the audio part with `filename` BEFORE `name` and no Content-Type, then `\r\n` and the
 * closing boundary. Without audio (the key test) that `\r\n` still comes, so the last value
 * reads "1\r\n".
 */
export function sdrtrunkForm(
	fields: Array<[string, string]>,
	audio?: { bytes: Buffer; filename: string }
): Multipart {
	let head = '';
	for (const [name, value] of fields) {
		head += `--${SDRTRUNK_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
	}
	if (audio)
		head += `--${SDRTRUNK_BOUNDARY}\r\nContent-Disposition: form-data; filename="${audio.filename}"; name="audio"\r\n\r\n`;
	const body = Buffer.concat([
		Buffer.from(head, 'utf8'),
		audio?.bytes ?? Buffer.alloc(0),
		Buffer.from(`\r\n--${SDRTRUNK_BOUNDARY}--\r\n`)
	]);
	return { body, contentType: `multipart/form-data; boundary=${SDRTRUNK_BOUNDARY}` };
}

export interface SdrtrunkCall {
	key: string;
	system: number;
	/** Unix seconds. */
	dateTime: number;
	talkgroup: number;
	source: number;
	frequency?: number;
	talkerAlias?: string;
	talkgroupLabel?: string;
	talkgroupGroup?: string;
	systemLabel?: string;
	patches?: string;
	audio: Buffer;
	filename: string;
}

/** A call upload in SDRTrunk's part order, the MP3 last. */
export function sdrtrunkCall(c: SdrtrunkCall): Multipart {
	return sdrtrunkForm(
		[
			['key', c.key],
			['system', String(c.system)],
			['dateTime', String(c.dateTime)],
			['talkgroup', String(c.talkgroup)],
			['source', String(c.source)],
			['frequency', String(c.frequency ?? 154430000)],
			['talkerAlias', c.talkerAlias ?? ''],
			['talkgroupLabel', c.talkgroupLabel ?? ''],
			['talkgroupGroup', c.talkgroupGroup ?? 'null'],
			['systemLabel', c.systemLabel ?? ''],
			['patches', c.patches ?? '[]']
		],
		{ bytes: c.audio, filename: c.filename }
	);
}

/** SDRTrunk's key test: only key, system and test. */
export function sdrtrunkKeyTest(key: string, system: number): Multipart {
	return sdrtrunkForm([
		['key', key],
		['system', String(system)],
		['test', '1']
	]);
}

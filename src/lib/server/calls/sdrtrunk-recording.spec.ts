import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { makeSdrtrunkRecording } from '../../../../tests/helpers/sdrtrunk-recording';
import { fromFileName, sdrtrunkMeta, sdrtrunkRecordingForm } from './sdrtrunk-recording';
import { SidecarError } from './sidecar';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sdrtrunk-spec-'));
const TAGS = {
	talkgroup: 52198,
	talkgroupAlias: 'Fire Dispatch',
	radio: 1612345,
	radioAlias: 'Engine 5',
	system: 'Metro',
	date: '2024-06-15 14:30:22.123',
	frequency: 851012500
};
const LOCAL = new Date(2024, 5, 15, 14, 30, 22, 123).getTime();

describe('SDRTrunk recordings (files made by the real FFmpeg)', () => {
	it.each(['mp3', 'wav'] as const)('reads the call from a %s file’s tags', async (ext) => {
		const file = makeSdrtrunkRecording(dir, TAGS, ext);
		expect(sdrtrunkMeta(path.basename(file), await parseFile(file))).toEqual({
			at: LOCAL,
			talkgroup: 52198,
			talkgroupLabel: 'Fire Dispatch',
			source: 1612345,
			talkerAlias: 'Engine 5',
			systemLabel: 'Metro',
			frequency: 851012500
		});
	});

	it('falls back to the file name when the tags say nothing', async () => {
		const file = makeSdrtrunkRecording(dir, { ...TAGS, talkgroup: 777, radio: 42 }, 'mp3');
		const bare = path.join(dir, path.basename(file).replace('.mp3', '-bare.mp3'));
		// The same audio without any tag: only the name is left to read.
		fs.writeFileSync(bare, stripId3(fs.readFileSync(file)));
		const meta = sdrtrunkMeta(path.basename(bare), await parseFile(bare));
		expect(meta).toMatchObject({ talkgroup: 777, source: 42, talkgroupLabel: '', frequency: null });
		expect(meta.at).toBe(new Date(2024, 5, 15, 14, 30, 22).getTime());
	});

	it('reads the name’s parts, and nothing from a name that has none', () => {
		expect(fromFileName('20240101_000102Sys_Site_Ch__TO_9_FROM_8.mp3')).toEqual({
			at: new Date(2024, 0, 1, 0, 1, 2).getTime(),
			talkgroup: 9,
			source: 8
		});
		expect(fromFileName('recording.mp3')).toEqual({ at: null, talkgroup: null, source: null });
		expect(fromFileName('20241399_250000x.mp3').at).toBeNull();
	});

	it('builds the body SDRTrunk uploads, the MP3 last', async () => {
		const file = makeSdrtrunkRecording(dir, TAGS, 'mp3');
		const audio = fs.readFileSync(file);
		const form = await sdrtrunkRecordingForm(audio, path.basename(file), { key: 'k', system: 4 });
		const text = form.body.toString('latin1');
		for (const [name, value] of [
			['key', 'k'],
			['system', '4'],
			['dateTime', String(Math.floor(LOCAL / 1000))],
			['talkgroup', '52198'],
			['source', '1612345'],
			['frequency', '851012500'],
			['talkerAlias', 'Engine 5'],
			['talkgroupLabel', 'Fire Dispatch'],
			['systemLabel', 'Metro']
		])
			expect(text).toContain(`name="${name}"\r\n\r\n${value}\r\n`);
		expect(form.body.subarray(-audio.length - 40).includes(audio.subarray(0, 64))).toBe(true);
	});

	it('refuses a file that is not audio, or only the tags of one, saying why', async () => {
		const file = makeSdrtrunkRecording(dir, TAGS, 'mp3');
		const tagsOnly = fs.readFileSync(file).subarray(0, 300);
		for (const bytes of [Buffer.from('not audio at all'), tagsOnly]) {
			const err = await sdrtrunkRecordingForm(bytes, path.basename(file), {
				key: 'k',
				system: 1
			}).catch((e) => e);
			expect(err).toBeInstanceOf(SidecarError);
			expect(err.message).toBe('unreadable recording: no MP3 or WAV audio found');
		}
	});
});

/** The MP3 without its leading ID3v2 tag (size: four 7-bit bytes at offset 6). */
function stripId3(bytes: Buffer): Buffer {
	if (bytes.subarray(0, 3).toString() !== 'ID3') return bytes;
	const size = (bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9];
	return bytes.subarray(10 + size);
}

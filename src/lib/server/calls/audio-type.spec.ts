import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectAudioType, typeFromBytes } from './audio-type';

const fixtures = path.resolve(import.meta.dirname, '../../../../tests/fixtures/audio');
const head = (name: string) => fs.readFileSync(path.join(fixtures, name)).subarray(0, 16);

describe('detectAudioType', () => {
	it('prefers audioType, then audioMime, then audioName, then the file name, then the bytes', () => {
		const wavBytes = head('12345-1718145678_851012500-call_17.wav');
		expect(
			detectAudioType({
				audioType: 'audio/mp4',
				audioName: 'a.wav',
				fileName: 'a.mp3',
				head: wavBytes
			})?.mime
		).toBe('audio/mp4');
		expect(
			detectAudioType({ audioMime: 'audio/x-wav', audioName: 'a.mp3', head: wavBytes })?.mime
		).toBe('audio/wav');
		expect(
			detectAudioType({
				audioType: 'application/octet-stream',
				audioName: 'a.MP3',
				fileName: 'a.wav',
				head: wavBytes
			})?.mime
		).toBe('audio/mpeg');
		expect(detectAudioType({ fileName: 'x.m4a', head: wavBytes })?.ext).toBe('m4a');
		expect(detectAudioType({ fileName: 'no-extension', head: wavBytes })?.ext).toBe('wav');
	});

	it('never uses the part Content-Type (it is not an input at all) and finds each fixture by its bytes', () => {
		expect(typeFromBytes(head('12345-1718145678_851012500-call_17.wav'))?.mime).toBe('audio/wav');
		expect(typeFromBytes(head('12346-1718145700.512_851262500.1-call_18.m4a'))?.mime).toBe(
			'audio/mp4'
		);
		expect(typeFromBytes(head('1718461822-1.mp3'))?.mime).toBe('audio/mpeg');
		expect(typeFromBytes(head('20240615_143022.123.mp3'))?.mime).toBe('audio/mpeg');
	});

	it('knows a bare MPEG frame sync and ADTS', () => {
		expect(typeFromBytes(Uint8Array.from([0xff, 0xfb, 0x90, 0x64]))?.mime).toBe('audio/mpeg');
		expect(typeFromBytes(Uint8Array.from([0xff, 0xf1, 0x50, 0x80]))?.mime).toBe('audio/aac');
	});

	it('gives up on unknown data', () => {
		expect(
			detectAudioType({
				audioType: 'text/plain',
				fileName: 'a.txt',
				head: Buffer.from('hello world, not audio')
			})
		).toBeNull();
		expect(typeFromBytes(new Uint8Array())).toBeNull();
	});
});

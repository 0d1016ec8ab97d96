import fs from 'node:fs';
import path from 'node:path';
import { parseBuffer } from 'music-metadata';
import { describe, expect, it } from 'vitest';
import { wavDuration } from './wav-duration';

const fixtures = path.resolve(import.meta.dirname, '../../../../tests/fixtures/audio');

type Chunk = [id: string, body: Buffer];

function fmt(o: { tag?: number; channels?: number; rate?: number; bits?: number; size?: number }) {
	const channels = o.channels ?? 1;
	const bits = o.bits ?? 16;
	const block = (channels * bits) / 8;
	const rate = o.rate ?? 8000;
	const body = Buffer.alloc(o.size ?? 16);
	body.writeUInt16LE(o.tag ?? 1, 0);
	body.writeUInt16LE(channels, 2);
	body.writeUInt32LE(rate, 4);
	body.writeUInt32LE(rate * block, 8);
	body.writeUInt16LE(block, 12);
	body.writeUInt16LE(bits, 14);
	return body;
}

const u32 = (n: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(n);
	return b;
};

/** A RIFF/WAVE file from chunks; `declared` overrides a chunk's size field, `riffSize` the RIFF one. */
function wav(chunks: Array<Chunk | [string, Buffer, number]>, riffSize?: number): Buffer {
	const parts: Buffer[] = [];
	for (const [id, body, declared] of chunks) {
		const head = Buffer.alloc(8);
		head.write(id, 0, 'latin1');
		head.writeUInt32LE(declared ?? body.length, 4);
		parts.push(head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0));
	}
	const inner = Buffer.concat(parts);
	const head = Buffer.alloc(12);
	head.write('RIFF', 0, 'latin1');
	head.writeUInt32LE(riffSize ?? inner.length + 4, 4);
	head.write('WAVE', 8, 'latin1');
	return Buffer.concat([head, inner]);
}

/** What the upload path kept before: music-metadata's duration, or 0. */
async function reference(bytes: Buffer): Promise<number> {
	try {
		const meta = await parseBuffer(bytes, { size: bytes.length }, { duration: true });
		return meta.format.duration ?? 0;
	} catch {
		return 0;
	}
}

const data = (n: number) => Buffer.alloc(n, 0x11);

describe('wavDuration', () => {
	it('reads the Trunk-Recorder fixture exactly as music-metadata does', async () => {
		const bytes = fs.readFileSync(path.join(fixtures, '12345-1718145678_851012500-call_17.wav'));
		const fast = wavDuration(bytes);
		expect(fast).not.toBeNull();
		expect(fast).toBe(await reference(bytes));
		expect(fast).toBeCloseTo(6.85, 2);
	});

	it('gives the same answer as music-metadata for every plain layout it accepts', async () => {
		const cases: Buffer[] = [
			wav([
				['fmt ', fmt({})],
				['data', data(16000)]
			]),
			wav([
				['fmt ', fmt({ channels: 2, rate: 44100 })],
				['data', data(44100 * 4 + 4)]
			]),
			wav([
				['fmt ', fmt({ bits: 8, rate: 11025 })],
				['data', data(12345)]
			]), // odd size, padded
			wav([
				['fmt ', fmt({ tag: 3, bits: 32, rate: 48000 })],
				['data', data(96000)]
			]),
			wav([
				['fmt ', fmt({ size: 18 })],
				['data', data(8000)]
			]), // cbSize present
			wav([
				['fmt ', fmt({ tag: 6, bits: 8 })],
				['fact', u32(4000)],
				['data', data(4000)]
			]),
			wav([
				['fact', u32(2222)],
				['fmt ', fmt({ tag: 7, bits: 8 })],
				['data', data(9999)]
			]),
			// A data size larger than the bytes present: cut to what is there.
			wav([
				['fmt ', fmt({})],
				['data', data(8000), 64000]
			]),
			// Streamed WAVs whose sizes were never patched.
			wav(
				[
					['fmt ', fmt({})],
					['data', data(8000), 0xffffffff]
				],
				0xffffffff
			),
			wav([
				['fmt ', fmt({})],
				['data', data(8000), 0]
			]),
			// A RIFF size that ends before the data chunk's header.
			wav(
				[
					['fmt ', fmt({})],
					['data', data(8000)]
				],
				4 + 24
			)
		];
		for (const bytes of cases) {
			const fast = wavDuration(bytes);
			const slow = await reference(bytes);
			if (fast === null) expect(slow).toBe(0);
			else expect(fast).toBe(slow);
		}
		// Every case but the three without a duration is answered here, not by the fallback.
		expect(cases.map((c) => wavDuration(c) !== null)).toEqual([
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			true,
			false,
			false
		]);
	});

	it('leaves every other layout to music-metadata (null)', () => {
		const list = Buffer.concat([
			Buffer.from('INFO'),
			Buffer.from('INAM'),
			u32(2),
			Buffer.from('a\0')
		]);
		expect(
			wavDuration(
				wav([
					['fmt ', fmt({})],
					['LIST', list],
					['data', data(800)]
				])
			)
		).toBeNull();
		expect(
			wavDuration(
				wav([
					['fmt ', fmt({})],
					['data', data(800)],
					['LIST', list]
				])
			)
		).toBeNull();
		expect(
			wavDuration(
				wav([
					['data', data(800)],
					['fmt ', fmt({})]
				])
			)
		).toBeNull();
		expect(
			wavDuration(
				wav([
					['fmt ', fmt({}).subarray(0, 14)],
					['data', data(8)]
				])
			)
		).toBeNull();
		expect(
			wavDuration(
				wav([
					['fmt ', fmt({ rate: 0 })],
					['data', data(800)]
				])
			)
		).toBeNull();
		expect(
			wavDuration(
				wav([
					['fmt ', fmt({})],
					['fmt ', fmt({})],
					['data', data(8)]
				])
			)
		).toBeNull();
		expect(wavDuration(Buffer.from('RIFF\x04\x00\x00\x00WAVE'))).toBeNull();
		expect(wavDuration(Buffer.from('ID3\x04\x00'))).toBeNull();
		expect(wavDuration(Buffer.alloc(0))).toBeNull();
		// A header cut short inside fmt.
		expect(wavDuration(wav([['fmt ', fmt({})]]).subarray(0, 30))).toBeNull();
	});

	it('reads other formats never (they start with something else)', () => {
		for (const name of ['1718461822-1.mp3', '12346-1718145700.512_851262500.1-call_18.m4a'])
			expect(wavDuration(fs.readFileSync(path.join(fixtures, name)))).toBeNull();
	});
});

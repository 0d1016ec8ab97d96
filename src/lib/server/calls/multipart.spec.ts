import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { curlForm, sdrtrunkForm } from './recorder-forms';
import { MultipartError, parseMultipart, StorageError } from './multipart';
import { MAX_FIELDS, MAX_LIST_FIELD_BYTES, MAX_TEXT_FIELD_BYTES } from './upload-limits';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-multipart-'));
/** A body delivered in small chunks, as a network would. */
const chunked = (body: Buffer, size = 1000) =>
	Readable.from(
		Array.from({ length: Math.ceil(body.length / size) }, (_, i) =>
			body.subarray(i * size, (i + 1) * size)
		)
	);

describe('parseMultipart', () => {
	it('streams the audio part to the temp file and collects the fields, whatever their order', async () => {
		const audio = Buffer.alloc(50_000, 7);
		audio.write('RIFF', 0);
		const form = curlForm([
			{ name: 'audio', file: audio, filename: 'call.wav' },
			{ name: 'key', value: 'k' },
			{ name: 'key', value: 'second value ignored' },
			{ name: 'other', file: Buffer.from('not ours'), filename: 'x.bin' }
		]);
		const tmpPath = path.join(tmpDir(), 'a.upload');
		const parsed = await parseMultipart(chunked(form.body), form.contentType, {
			maxFileBytes: 1 << 20,
			tmpPath
		});
		expect(parsed.tooLarge).toBe(false);
		expect(parsed.fields.get('key')).toBe('k');
		expect(parsed.file).toMatchObject({ tmpPath, size: audio.length, fileName: 'call.wav' });
		expect(parsed.file!.head.subarray(0, 4).toString()).toBe('RIFF');
		expect(fs.readFileSync(tmpPath).equals(audio)).toBe(true);
		expect(parsed.file!.bytes?.equals(audio)).toBe(true);
	});

	it('keeps only small files in memory too', async () => {
		const big = Buffer.alloc(3 * 1024 * 1024, 3);
		const form = curlForm([{ name: 'audio', file: big, filename: 'long.wav' }]);
		const tmpPath = path.join(tmpDir(), 'big.upload');
		const parsed = await parseMultipart(chunked(form.body, 65536), form.contentType, {
			maxFileBytes: 50 << 20,
			tmpPath
		});
		expect(parsed.file).toMatchObject({ size: big.length, bytes: null });
		expect(fs.statSync(tmpPath).size).toBe(big.length);
	});

	it("reads SDRTrunk's key test value as 1\\r\\n and its audio part without a Content-Type", async () => {
		const test = sdrtrunkForm([
			['key', 'k'],
			['system', '1'],
			['test', '1']
		]);
		const parsed = await parseMultipart(chunked(test.body, 7), test.contentType, {
			maxFileBytes: 1000,
			tmpPath: path.join(tmpDir(), 'b.upload')
		});
		expect(parsed.fields.get('test')).toBe('1\r\n');
		expect(parsed.file).toBeNull();
		const call = sdrtrunkForm([['key', 'k']], {
			bytes: Buffer.alloc(300, 1),
			filename: '20240615_143022.123.mp3'
		});
		const withAudio = await parseMultipart(chunked(call.body), call.contentType, {
			maxFileBytes: 1000,
			tmpPath: path.join(tmpDir(), 'c.upload')
		});
		expect(withAudio.file).toMatchObject({ size: 300, fileName: '20240615_143022.123.mp3' });
	});

	it('discards an audio part over the cap and reads the rest of the body', async () => {
		const form = curlForm([
			{ name: 'audio', file: Buffer.alloc(5000, 1), filename: 'big.wav' },
			{ name: 'key', value: 'after the audio' }
		]);
		const tmpPath = path.join(tmpDir(), 'd.upload');
		const parsed = await parseMultipart(chunked(form.body), form.contentType, {
			maxFileBytes: 4096,
			tmpPath
		});
		expect(parsed).toMatchObject({ tooLarge: true, file: null });
		expect(parsed.fields.get('key')).toBe('after the audio');
		expect(fs.existsSync(tmpPath)).toBe(false);
	});

	it('rejects a truncated body as malformed and leaves no temp file', async () => {
		const form = curlForm([
			{ name: 'key', value: 'k' },
			{ name: 'audio', file: Buffer.alloc(5000, 1), filename: 'a.wav' }
		]);
		const dir = tmpDir();
		const tmpPath = path.join(dir, 'e.upload');
		await expect(
			parseMultipart(chunked(form.body.subarray(0, 3000)), form.contentType, {
				maxFileBytes: 1 << 20,
				tmpPath
			})
		).rejects.toBeInstanceOf(MultipartError);
		expect(fs.readdirSync(dir)).toEqual([]);
		await expect(
			parseMultipart(chunked(form.body), 'multipart/form-data', { maxFileBytes: 1, tmpPath })
		).rejects.toBeInstanceOf(MultipartError);
	});

	it('cleans up when the client goes away mid-body, whether the file was still in memory or already spilled to disk', async () => {
		for (const [fileBytes, onDiskMidway] of [
			[20_000, []],
			[3 * 1024 * 1024, ['f.upload']]
		] as const) {
			const form = curlForm([
				{ name: 'audio', file: Buffer.alloc(fileBytes, 1), filename: 'a.wav' }
			]);
			const dir = tmpDir();
			const body = new Readable({ read() {} });
			const parsing = parseMultipart(body, form.contentType, {
				maxFileBytes: 8 << 20,
				tmpPath: path.join(dir, 'f.upload')
			});
			body.push(form.body.subarray(0, form.body.length - 5_000));
			await new Promise((r) => setTimeout(r, 50));
			// A small file is held in memory until its end; a big one streams to the temp file.
			expect(fs.readdirSync(dir)).toEqual(onDiskMidway);
			body.destroy(new Error('aborted'));
			await expect(parsing).rejects.toThrow('aborted');
			expect(fs.readdirSync(dir)).toEqual([]);
		}
	});

	it('writes a big file through to disk as it arrives and keeps no copy in memory', async () => {
		const audio = Buffer.alloc(3 * 1024 * 1024, 7);
		const form = curlForm([
			{ name: 'audio', file: audio, filename: 'big.wav' },
			{ name: 'key', value: 'k' }
		]);
		const dir = tmpDir();
		const tmpPath = path.join(dir, 'big.upload');
		const parsed = await parseMultipart(chunked(form.body), form.contentType, {
			maxFileBytes: 8 << 20,
			tmpPath
		});
		expect(parsed.file).toMatchObject({ size: audio.length, bytes: null });
		expect(fs.readFileSync(tmpPath).equals(audio)).toBe(true);
		expect(parsed.fields.get('key')).toBe('k');
	});

	it('ends when the body is closed without an error, mid-body or before it was read', async () => {
		// Node's request stream (the production hot path hands it over directly) can be destroyed
		// while the endpoint is still awaiting its settings; waiting for its end would wait forever.
		const form = curlForm([
			{ name: 'audio', file: Buffer.alloc(3 * 1024 * 1024, 1), filename: 'a.wav' }
		]);
		const dir = tmpDir();
		const midway = new Readable({ read() {} });
		const parsing = parseMultipart(midway, form.contentType, {
			maxFileBytes: 8 << 20,
			tmpPath: path.join(dir, 'h.upload')
		});
		midway.push(form.body.subarray(0, form.body.length - 5_000));
		await new Promise((r) => setTimeout(r, 50));
		expect(fs.readdirSync(dir)).toEqual(['h.upload']);
		midway.destroy();
		await expect(parsing).rejects.toThrow('closed before its end');
		expect(fs.readdirSync(dir)).toEqual([]);

		const gone = new Readable({ read() {} });
		gone.destroy();
		const early = parseMultipart(gone, form.contentType, {
			maxFileBytes: 1 << 20,
			tmpPath: path.join(dir, 'i.upload')
		});
		await expect(early).rejects.toThrow(/closed before/);
		await expect(early).rejects.not.toBeInstanceOf(MultipartError);
		expect(fs.readdirSync(dir)).toEqual([]);
	});

	it('reports a temp file that cannot be written as a storage error', async () => {
		const dir = tmpDir();
		fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
		const form = curlForm([{ name: 'audio', file: Buffer.alloc(1000, 1), filename: 'a.wav' }]);
		await expect(
			parseMultipart(chunked(form.body), form.contentType, {
				maxFileBytes: 1 << 20,
				tmpPath: path.join(dir, 'not-a-dir', 'g.upload')
			})
		).rejects.toBeInstanceOf(StorageError);
	});

	it('accepts audio of exactly the cap and answers one byte more as too large, never as a storage fault, on disk or in memory', async () => {
		for (const cap of [4096, 3 * 1024 * 1024]) {
			for (const [size, tooLarge] of [
				[cap, false],
				[cap + 1, true]
			] as const) {
				const form = curlForm([
					{ name: 'audio', file: Buffer.alloc(size, 1), filename: 'a.wav' },
					{ name: 'key', value: 'k' }
				]);
				const dir = tmpDir();
				const parsed = await parseMultipart(chunked(form.body, 65536), form.contentType, {
					maxFileBytes: cap,
					tmpPath: path.join(dir, 'cap.upload')
				});
				expect(parsed.tooLarge, `${size} bytes, cap ${cap}`).toBe(tooLarge);
				expect(parsed.fields.get('key')).toBe('k');
				if (tooLarge) expect(fs.readdirSync(dir)).toEqual([]);
				else expect(fs.statSync(path.join(dir, 'cap.upload')).size).toBe(cap);
			}
		}
	});

	it('refuses more fields than a recorder sends, and a field over its byte limit, keeping nothing', async () => {
		const many = curlForm([
			{ name: 'audio', file: Buffer.alloc(5000, 1), filename: 'a.wav' },
			...Array.from({ length: MAX_FIELDS + 1 }, (_, i) => ({ name: `f${i}`, value: 'x' }))
		]);
		const dir = tmpDir();
		const tooMany = await parseMultipart(chunked(many.body), many.contentType, {
			maxFileBytes: 1 << 20,
			tmpPath: path.join(dir, 'many.upload')
		});
		expect(tooMany).toMatchObject({ overLimit: `more than ${MAX_FIELDS} form fields`, file: null });
		expect(fs.readdirSync(dir)).toEqual([]);

		for (const [name, limit] of [
			['sources', MAX_LIST_FIELD_BYTES],
			['talkgroupLabel', MAX_TEXT_FIELD_BYTES]
		] as const) {
			const atLimit = curlForm([{ name, value: 'x'.repeat(limit) }]);
			const ok = await parseMultipart(chunked(atLimit.body), atLimit.contentType, {
				maxFileBytes: 1 << 20,
				tmpPath: path.join(dir, 'ok.upload')
			});
			expect(ok.overLimit).toBeNull();
			expect(ok.fields.get(name)).toHaveLength(limit);
			const over = curlForm([
				{ name, value: 'é'.repeat(limit / 2) + 'x' },
				{ name: 'key', value: 'k' }
			]);
			const refused = await parseMultipart(chunked(over.body), over.contentType, {
				maxFileBytes: 1 << 20,
				tmpPath: path.join(dir, 'over.upload')
			});
			expect(refused.overLimit).toBe(`field "${name}" is over its ${limit}-byte limit`);
		}
		// Fields the endpoint does not read are counted but not kept.
		const unknown = curlForm([{ name: 'whatever', value: 'y'.repeat(MAX_LIST_FIELD_BYTES) }]);
		const ignored = await parseMultipart(chunked(unknown.body), unknown.contentType, {
			maxFileBytes: 1 << 20,
			tmpPath: path.join(dir, 'unknown.upload')
		});
		expect(ignored).toMatchObject({ overLimit: null, fields: new Map() });
	});

	it('drops the audio as soon as the form key is refused: a key before the audio keeps it off the disk', async () => {
		const dir = tmpDir();
		const tmpPath = path.join(dir, 'k.upload');
		const form = curlForm([
			{ name: 'key', value: 'wrong' },
			{ name: 'audio', file: Buffer.alloc(6 * 1024 * 1024, 1), filename: 'a.wav' }
		]);
		const body = new Readable({ read() {} });
		const checked: string[] = [];
		const parsing = parseMultipart(body, form.contentType, {
			maxFileBytes: 50 << 20,
			tmpPath,
			checkKey: async (key) => (checked.push(key), false)
		});
		const head = form.body.subarray(0, form.body.length - 1000);
		for (let at = 0; at < head.length; at += 65536) body.push(head.subarray(at, at + 65536));
		await new Promise((r) => setTimeout(r, 50));
		expect(checked).toEqual(['wrong']);
		expect(fs.readdirSync(dir)).toEqual([]); // 6 MiB in: nothing written, nothing kept
		body.push(form.body.subarray(form.body.length - 1000));
		body.push(null);
		expect(await parsing).toMatchObject({ keyRefused: true, file: null, tooLarge: false });
		expect(fs.readdirSync(dir)).toEqual([]);
	});

	it('removes audio that arrived before a refused key (Trunk-Recorder order), and keeps it for a good one', async () => {
		for (const good of [false, true]) {
			const dir = tmpDir();
			const form = curlForm([
				{ name: 'audio', file: Buffer.alloc(3 * 1024 * 1024, 1), filename: 'a.wav' },
				{ name: 'key', value: 'k' },
				{ name: 'system', value: '7' }
			]);
			const parsed = await parseMultipart(chunked(form.body, 65536), form.contentType, {
				maxFileBytes: 50 << 20,
				tmpPath: path.join(dir, 'tr.upload'),
				checkKey: async () => good
			});
			expect(parsed.keyRefused).toBe(!good);
			expect(parsed.fields.get('system')).toBe('7');
			expect(fs.readdirSync(dir)).toEqual(good ? ['tr.upload'] : []);
			expect(parsed.file === null).toBe(!good);
		}
	});
});

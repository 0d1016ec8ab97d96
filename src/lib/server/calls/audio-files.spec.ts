import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { AudioFiles } from './audio-files';

describe('AudioFiles (small recordings held in memory)', () => {
	let dir: string;
	let clock: ManualClock;
	const write = (name: string, bytes: number, fill = 1) => {
		const file = path.join(dir, name);
		fs.writeFileSync(file, Buffer.alloc(bytes, fill));
		return file;
	};
	const cache = (opts: Partial<ConstructorParameters<typeof AudioFiles>[1]> = {}) =>
		new AudioFiles(clock, { maxBytes: 1000, maxFileBytes: 500, revalidateMs: 1000, ...opts });

	beforeEach(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-audio-files-'));
		clock = new ManualClock();
	});
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

	it('reads a small file once and serves its bytes and validators from memory', async () => {
		const file = write('a.wav', 100, 7);
		const files = cache();
		const first = await files.info(file);
		expect(first?.size).toBe(100);
		expect(first?.data?.equals(Buffer.alloc(100, 7))).toBe(true);
		expect(first?.mtimeMs).toBe(fs.statSync(file).mtimeMs);
		// Gone from disk, but within the revalidation time the held copy is served unchanged.
		fs.rmSync(file);
		expect(await files.info(file)).toBe(first);
		expect(files.stats()).toEqual({ bytes: 100, files: 1 });
	});

	it('concurrent requests for one file share one read', async () => {
		const file = write('a.wav', 100);
		const files = cache();
		const all = await Promise.all(Array.from({ length: 50 }, () => files.info(file)));
		expect(new Set(all).size).toBe(1);
		expect(files.stats()).toEqual({ bytes: 100, files: 1 });
	});

	it('after the revalidation time, a removed file is gone and a replaced one is reloaded', async () => {
		const file = write('a.wav', 100, 1);
		const files = cache();
		await files.info(file);
		clock.advance(1000);
		fs.writeFileSync(file, Buffer.alloc(120, 2));
		const replaced = await files.info(file);
		expect(replaced?.size).toBe(120);
		expect(replaced?.data?.equals(Buffer.alloc(120, 2))).toBe(true);
		expect(files.stats().bytes).toBe(120);

		clock.advance(1000);
		fs.rmSync(file);
		expect(await files.info(file)).toBeNull();
		expect(files.stats()).toEqual({ bytes: 0, files: 0 });
	});

	it('an unchanged file is kept after its stat is renewed', async () => {
		const file = write('a.wav', 100);
		const files = cache();
		const first = await files.info(file);
		clock.advance(5000);
		expect(await files.info(file)).toBe(first);
	});

	it('streams large files and holds no more than maxBytes, least recently used out first', async () => {
		const files = cache();
		const big = await files.info(write('big.wav', 501));
		expect(big).toMatchObject({ size: 501, data: null });
		const [a, b, c] = ['a', 'b', 'c'].map((n) => write(`${n}.wav`, 400));
		await files.info(a);
		await files.info(b);
		await files.info(a); // a is now the most recently used
		await files.info(c);
		expect(files.stats()).toEqual({ bytes: 800, files: 2 });
		fs.rmSync(b);
		fs.rmSync(a);
		// b was evicted (a fresh stat finds it missing); a is still held.
		expect(await files.info(b)).toBeNull();
		expect((await files.info(a))?.data?.length).toBe(400);
	});

	it('with maxBytes 0 nothing is held', async () => {
		const file = write('a.wav', 10);
		const files = cache({ maxBytes: 0 });
		expect(await files.info(file)).toMatchObject({ size: 10, data: null });
		expect(files.stats()).toEqual({ bytes: 0, files: 0 });
	});

	it('a directory or a missing path is not a file', async () => {
		const files = cache();
		expect(await files.info(dir)).toBeNull();
		expect(await files.info(path.join(dir, 'nope.wav'))).toBeNull();
	});
});

import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';

/** The body is not parseable multipart (no boundary, truncated, garbage): answered 400. */
export class MultipartError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'MultipartError';
	}
}

/** Writing the temp file failed (disk full, permissions): the server's fault, answered 500. */
export class StorageError extends Error {
	constructor(readonly cause: Error) {
		super(`could not write the upload: ${cause.message}`);
		this.name = 'StorageError';
	}
}

export interface UploadedFile {
	/** In the incoming directory; the caller moves or deletes it. */
	tmpPath: string;
	size: number;
	/** As sent; only ever used to guess the type, never as a path. */
	fileName: string;
	/** The first bytes, for magic-number detection. */
	head: Buffer;
	/** The whole file when small (most calls): its metadata is then read without touching disk. */
	bytes: Buffer | null;
}

export interface ParsedMultipart {
	/** Text fields; the first occurrence of a name wins. */
	fields: Map<string, string>;
	file: UploadedFile | null;
	/** The audio part went over the cap; it was discarded and no file is left behind. */
	tooLarge: boolean;
}

const HEAD_BYTES = 16;
/** Files up to this size are also kept in memory while they stream to disk. */
const IN_MEMORY_BYTES = 2 * 1024 * 1024;

/**
 * Reads a multipart body: the `audio` file part ends up in `tmpPath` (kept in memory while small,
 * streamed to disk as it arrives when large, never buffered whole), text fields are collected. The whole body is read before returning, because the key may
 * come after the audio (Trunk-Recorder sends audio first). On any error the temp file is removed.
 */
export function parseMultipart(
	body: Readable,
	contentType: string,
	opts: { maxFileBytes: number; tmpPath: string }
): Promise<ParsedMultipart> {
	return new Promise((resolve, reject) => {
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { 'content-type': contentType },
				limits: {
					fileSize: opts.maxFileBytes,
					files: 4,
					fields: 100,
					fieldSize: 1024 * 1024,
					parts: 120
				}
			});
		} catch (err) {
			body.resume();
			return reject(
				new MultipartError(err instanceof Error ? err.message : 'malformed multipart body')
			);
		}

		const fields = new Map<string, string>();
		let file: UploadedFile | null = null;
		let tooLarge = false;
		let claimed = false;
		let writer: fs.WriteStream | null = null;
		let writerDone: Promise<void> = Promise.resolve();
		let settled = false;

		const removeTemp = () => fs.promises.rm(opts.tmpPath, { force: true }).catch(() => {});

		const fail = (err: Error) => {
			if (settled) return;
			settled = true;
			body.unpipe(parser);
			writer?.destroy();
			// Wait for the writer to let go of the file before removing it.
			void writerDone.finally(removeTemp).then(() => reject(err));
		};

		parser.on('field', (name, value) => {
			if (!fields.has(name)) fields.set(name, value);
		});

		parser.on('file', (name, stream, info) => {
			// busboy also errors the open file stream on a truncated body; unhandled, that would
			// crash the process. The parser's own 'error' reports it.
			stream.on('error', () => {});
			if (name !== 'audio' || claimed) {
				stream.resume(); // not ours: read past it
				return;
			}
			claimed = true;
			// Held in memory up to IN_MEMORY_BYTES (nearly every call) and written with one
			// writeFile at the end: a few file operations per upload instead of one per chunk.
			// A bigger file spills to a write stream and is never held whole.
			let kept: Buffer[] | null = [];
			let size = 0;
			let head = Buffer.alloc(0);
			const spill = () => {
				const out = fs.createWriteStream(opts.tmpPath, { flags: 'wx' });
				writer = out;
				writerDone = new Promise((done) => out.once('close', () => done()));
				out.on('error', (err) => fail(new StorageError(err)));
				for (const chunk of kept ?? []) out.write(chunk);
				kept = null;
			};
			stream.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (head.length < HEAD_BYTES)
					head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
				if (tooLarge || settled) return;
				if (kept) {
					kept.push(chunk);
					if (size > IN_MEMORY_BYTES) spill();
				} else if (writer && !writer.write(chunk)) {
					stream.pause();
					writer.once('drain', () => stream.resume());
				}
			});
			stream.on('limit', () => {
				tooLarge = true;
				kept = null;
				writer?.destroy();
				stream.resume(); // keep reading so the client gets its 413 instead of a reset
			});
			stream.on('end', () => {
				if (tooLarge || settled) return;
				const bytes = kept && Buffer.concat(kept);
				file = { tmpPath: opts.tmpPath, size, fileName: info.filename ?? '', head, bytes };
				if (writer) writer.end();
				else
					writerDone = fs.promises
						.writeFile(opts.tmpPath, bytes ?? Buffer.alloc(0), { flag: 'wx' })
						.catch((err) => fail(new StorageError(err)));
			});
		});

		parser.on('error', (err) =>
			fail(new MultipartError(err instanceof Error ? err.message : 'malformed multipart body'))
		);
		body.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
		// A body closed before its end (the client went away while the server was busy elsewhere,
		// without an error event) would otherwise leave this promise pending forever.
		body.on('close', () => {
			if (!body.readableEnded) fail(new Error('the request body was closed before its end'));
		});
		if (body.destroyed) return fail(new Error('the request body was closed before it was read'));

		parser.on('close', () => {
			void writerDone.then(async () => {
				if (settled) return;
				settled = true;
				if (tooLarge) {
					await removeTemp();
					return resolve({ fields, file: null, tooLarge });
				}
				resolve({ fields, file, tooLarge });
			});
		});

		body.pipe(parser);
	});
}

/** A temp-file name in the incoming directory; its id names the final file too (see storage.ts). */
export function tempPathFor(incomingDir: string, id: string): string {
	return path.join(incomingDir, `${id}.upload`);
}

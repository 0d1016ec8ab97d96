import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import {
	fieldByteLimit,
	KNOWN_FIELDS,
	MAX_FIELDS,
	MAX_LIST_FIELD_BYTES,
	MAX_PARTS
} from './upload-limits';

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
	/** Text fields the endpoint reads (upload-limits.ts); the first occurrence of a name wins. */
	fields: Map<string, string>;
	file: UploadedFile | null;
	/** The audio part went over the cap; it was discarded and no file is left behind. */
	tooLarge: boolean;
	/** Why the form broke a limit on its fields (count, bytes), or null; nothing is kept then. */
	overLimit: string | null;
	/** `checkKey` refused the form's key: the audio was discarded as soon as that was known. */
	keyRefused: boolean;
}

export interface MultipartOptions {
	/** Largest audio part accepted, in bytes (exactly this many is fine). */
	maxFileBytes: number;
	tmpPath: string;
	/** Called once with the first `key` field; false discards the audio at once. */
	checkKey?: (key: string) => Promise<boolean>;
}

const HEAD_BYTES = 16;
/** Files up to this size are also kept in memory while they stream to disk. */
const IN_MEMORY_BYTES = 2 * 1024 * 1024;

/**
 * Reads a multipart body: the `audio` file part ends up in `tmpPath` (kept in memory while small,
 * streamed to disk as it arrives when large, never buffered whole), the text fields the endpoint
 * reads are collected within their limits. The whole body is read before returning, because the
 * key may come after the audio (Trunk-Recorder sends audio first); once the audio is known to be
 * unwanted (over the cap, a refused key, a form over its limits) it is dropped and the rest of the
 * body only read past. On any error the temp file is removed.
 */
export function parseMultipart(
	body: Readable,
	contentType: string,
	opts: MultipartOptions
): Promise<ParsedMultipart> {
	return new Promise((resolve, reject) => {
		let parser: busboy.Busboy;
		try {
			parser = busboy({
				headers: { 'content-type': contentType },
				limits: {
					// busboy stops at exactly its limit; one more byte tells "at the cap" from "over".
					fileSize: opts.maxFileBytes + 1,
					files: 4,
					fields: MAX_FIELDS,
					fieldSize: MAX_LIST_FIELD_BYTES + 1,
					parts: MAX_PARTS
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
		let overLimit: string | null = null;
		let keyRefused = false;
		let keyCheck: Promise<void> = Promise.resolve();
		let keyPending = false;
		let claimed = false;
		let writer: fs.WriteStream | null = null;
		let writerDone: Promise<void> = Promise.resolve();
		let settled = false;
		/** Set once the audio is unwanted: nothing more is kept or written. */
		let discarded = false;
		let dropAudio: () => void = () => {};

		const removeTemp = () => fs.promises.rm(opts.tmpPath, { force: true }).catch(() => {});
		const discard = () => {
			if (discarded) return;
			discarded = true;
			dropAudio();
		};

		const fail = (err: Error) => {
			if (settled) return;
			settled = true;
			body.unpipe(parser);
			writer?.destroy();
			// Wait for the writer to let go of the file before removing it.
			void writerDone.finally(removeTemp).then(() => reject(err));
		};

		const breakLimit = (reason: string) => {
			overLimit ??= reason;
			discard();
		};
		parser.on('fieldsLimit', () => breakLimit(`more than ${MAX_FIELDS} form fields`));
		parser.on('partsLimit', () => breakLimit(`more than ${MAX_PARTS} form parts`));

		parser.on('field', (name, value, info) => {
			if (!KNOWN_FIELDS.has(name) || fields.has(name) || overLimit) return;
			const limit = fieldByteLimit(name);
			if (info.valueTruncated || value.length > limit || Buffer.byteLength(value) > limit)
				return breakLimit(`field "${name}" is over its ${limit}-byte limit`);
			fields.set(name, value);
			if (name === 'key' && opts.checkKey) {
				keyPending = true;
				keyCheck = opts
					.checkKey(value)
					.finally(() => (keyPending = false))
					.then(
						(ok) => {
							if (ok) return;
							keyRefused = true;
							discard();
						},
						() => {} // judged again, and answered, once the body is read
					);
			}
		});

		parser.on('file', (name, stream, info) => {
			// busboy also errors the open file stream on a truncated body; unhandled, that would
			// crash the process. The parser's own 'error' reports it.
			stream.on('error', () => {});
			if (name !== 'audio' || claimed || discarded) {
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
			let ended = false;
			dropAudio = () => {
				kept = null;
				// A write still in flight then fails with "destroyed": expected, and not a storage fault.
				writer?.destroy();
				stream.resume(); // it may be paused, waiting for a drain that will not come
			};
			const spill = () => {
				const out = fs.createWriteStream(opts.tmpPath, { flags: 'wx' });
				writer = out;
				writerDone = new Promise((done) => out.once('close', () => done()));
				out.on('error', (err) => {
					if (!discarded) fail(new StorageError(err));
				});
				for (const chunk of kept ?? []) out.write(chunk);
				kept = null;
			};
			stream.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (head.length < HEAD_BYTES)
					head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
				if (discarded || settled) return;
				if (kept) {
					kept.push(chunk);
					if (size <= IN_MEMORY_BYTES) return;
					if (!keyPending) return spill();
					// Nothing goes to disk while the key that came first is being checked.
					stream.pause();
					void keyCheck.then(() => {
						if (!discarded && !settled && kept && !ended) spill();
						stream.resume();
					});
				} else if (writer && !writer.write(chunk)) {
					stream.pause();
					writer.once('drain', () => stream.resume());
				}
			});
			stream.on('limit', () => {
				tooLarge = true;
				discard(); // and keep reading, so the client gets its 413 instead of a reset
			});
			stream.on('end', () => {
				if (discarded || settled) return;
				ended = true;
				const bytes = kept && Buffer.concat(kept);
				file = { tmpPath: opts.tmpPath, size, fileName: info.filename ?? '', head, bytes };
				if (writer) writer.end();
				// Written once a key that came first has been checked (an end can come while paused).
				else
					writerDone = keyCheck
						.then(async () => {
							// Synchronous: a small file lands in the page cache in one open/write/close
							// on this thread, instead of three thread-pool round trips (and wake-ups).
							if (!discarded)
								fs.writeFileSync(opts.tmpPath, bytes ?? Buffer.alloc(0), { flag: 'wx' });
						})
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
			void Promise.all([keyCheck, writerDone]).then(async () => {
				if (settled) return;
				settled = true;
				// The writer may have finished after the key was refused; the file goes all the same.
				if (discarded) {
					await writerDone;
					await removeTemp();
					file = null;
				}
				resolve({ fields, file, tooLarge, overLimit, keyRefused });
			});
		});

		body.pipe(parser);
	});
}

/** A temp-file name in the incoming directory; its id names the final file too (see storage.ts). */
export function tempPathFor(incomingDir: string, id: string): string {
	return path.join(incomingDir, `${id}.upload`);
}

import fs from 'node:fs';
import path from 'node:path';
import type { DB } from '../core/db';

/**
 * Where recordings live. Every stored path is generated here (date folders + a random id), never
 * taken from an upload, and is relative to the recordings directory (RECORDINGS_DIR, default
 * DATA_DIR/recordings; the functions here take that directory).
 *
 * Write order, so that no failure leaves a row without its file or a file without its row:
 *   1. the upload streams to `.incoming/<id>.upload`;
 *   2. the row (with its final path `YYYY/MM/DD/<id>.<ext>`) is inserted in a transaction;
 *   3. the temp file is renamed to its final path (same filesystem: atomic);
 *   on a failed rename the row is deleted again. A crash between 2 and 3 leaves a committed row
 *   and its temp file: the start-up sweep finishes the rename; any other leftover is deleted.
 */
export function incomingDir(recordingsDir: string): string {
	return path.join(recordingsDir, '.incoming');
}

/** `YYYY/MM/DD/<id>.<ext>` for the call's UTC date. */
export function storedPathFor(dateTimeMs: number, id: string, ext: string): string {
	const d = new Date(dateTimeMs);
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${id}.${ext}`;
}

/** The absolute path of a stored recording, refusing anything that would leave the directory. */
export function absoluteAudioPath(root: string, relative: string): string | null {
	const full = path.resolve(root, relative);
	if (!full.startsWith(root + path.sep) || relative.startsWith('.incoming')) return null;
	return full;
}

const TEMP_NAME = /^([0-9a-f-]{36})\.upload$/;

/**
 * Start-up: a temp file whose row was committed is moved into place; every other leftover of an
 * interrupted upload is deleted. Returns what it did, for the log.
 *
 * `settledBefore` (epoch ms, file system time): only files last written before it are touched.
 * With several instances on one RECORDINGS_DIR, a newer file may be another instance's upload
 * or encode still in progress.
 */
export async function sweepIncoming(
	db: DB,
	recordingsDir: string,
	opts: { settledBefore?: number } = {}
): Promise<{ completed: number; removed: number }> {
	const dir = incomingDir(recordingsDir);
	await fs.promises.mkdir(dir, { recursive: true });
	let completed = 0;
	let removed = 0;
	for (const name of await fs.promises.readdir(dir)) {
		const full = path.join(dir, name);
		if (opts.settledBefore !== undefined && !(await writtenBefore(full, opts.settledBefore)))
			continue;
		const match = TEMP_NAME.exec(name);
		const row = match
			? await db
					.selectFrom('calls')
					.select(['id', 'audio_path'])
					.where('audio_path', 'like', `%/${match[1]}.%`)
					.executeTakeFirst()
			: undefined;
		const target = row && absoluteAudioPath(recordingsDir, row.audio_path);
		if (target) {
			try {
				await moveIntoPlace(full, target);
				completed++;
				continue;
			} catch {
				// Fall through: a row whose file cannot be placed is removed below with its temp file.
				await db.deleteFrom('calls').where('id', '=', row.id).execute();
			}
		}
		await fs.promises.rm(full, { force: true, recursive: true });
		removed++;
	}
	return { completed, removed };
}

async function writtenBefore(file: string, before: number): Promise<boolean> {
	try {
		return (await fs.promises.stat(file)).mtimeMs < before;
	} catch {
		return false; // gone meanwhile: its owner finished it
	}
}

/**
 * Renames a temp file to its stored path, creating the day folder only when it is missing (most
 * calls land in an existing one). On a shared RECORDINGS_DIR the upload's own instance and another
 * instance's sweep may both move the same file: whoever loses finds the source gone and the target
 * there, which is success, not a reason to delete the call's row.
 *
 * Synchronous: a rename is one metadata system call, and on this thread it costs less than
 * handing it to the thread pool and being woken for the answer (docs/performance.md, ingest).
 */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
	try {
		fs.renameSync(from, to);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
		if (!fs.existsSync(from)) {
			if (fs.existsSync(to)) return; // moved by the other side of the race
			throw err;
		}
		fs.mkdirSync(path.dirname(to), { recursive: true });
		fs.renameSync(from, to);
	}
}

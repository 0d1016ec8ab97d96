import fs from 'node:fs';
import type { Clock } from '../core/clock';

/** A stored audio file as the audio endpoint needs it: its validators and, when small, its bytes. */
export interface AudioFileInfo {
	size: number;
	mtimeMs: number;
	/** The whole file when it is held in memory; null: stream it from disk. */
	data: Buffer | null;
}

interface Entry extends AudioFileInfo {
	/** Clock time of the last stat that confirmed size and mtime. */
	checkedAt: number;
}

export interface AudioFilesOptions {
	/** Total bytes held; 0 turns the cache off (every request stats and streams the file). */
	maxBytes: number;
	/** Files larger than this are always streamed. */
	maxFileBytes: number;
	/** How long a held file is served without a fresh stat (ms). */
	revalidateMs: number;
}

/**
 * Small recordings kept in memory, so the N listeners who all play a new call cost one stat and
 * one read instead of N stats, opens, reads and closes. A recording is written once under its
 * path (renamed into place; an encode gets a new path), so an entry can only go stale if the file
 * is removed or replaced by hand: a stat every `revalidateMs` notices that, and a changed size or
 * mtime reloads it. Concurrent misses for one file share a single read. Least recently used first
 * out when over `maxBytes`.
 */
export class AudioFiles {
	private readonly entries = new Map<string, Entry>();
	private readonly loading = new Map<string, Promise<AudioFileInfo | null>>();
	private bytes = 0;

	constructor(
		private readonly clock: Clock,
		private readonly opts: AudioFilesOptions
	) {}

	/** The file's size, mtime and (small files) bytes, or null when it is missing or not a file. */
	info(file: string): Promise<AudioFileInfo | null> {
		const entry = this.entries.get(file);
		if (entry && this.clock.now() - entry.checkedAt < this.opts.revalidateMs) {
			// Most recently used last.
			this.entries.delete(file);
			this.entries.set(file, entry);
			return Promise.resolve(entry);
		}
		let pending = this.loading.get(file);
		if (!pending) {
			pending = this.load(file, entry).finally(() => this.loading.delete(file));
			this.loading.set(file, pending);
		}
		return pending;
	}

	/** Held bytes and files, for tests and the admin view. */
	stats(): { bytes: number; files: number } {
		return { bytes: this.bytes, files: this.entries.size };
	}

	private async load(file: string, previous: Entry | undefined): Promise<AudioFileInfo | null> {
		const stat = await fs.promises.stat(file).catch(() => null);
		const checkedAt = this.clock.now();
		if (!stat?.isFile()) {
			this.drop(file);
			return null;
		}
		if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) {
			previous.checkedAt = checkedAt;
			return previous;
		}
		this.drop(file);
		const info = { size: stat.size, mtimeMs: stat.mtimeMs, data: null };
		if (stat.size > this.opts.maxFileBytes || stat.size > this.opts.maxBytes) return info;
		const data = await fs.promises.readFile(file).catch(() => null);
		// Changed while it was read: serve it from disk this time, cache it on the next request.
		if (!data || data.length !== stat.size) return info;
		const entry: Entry = { ...info, data, checkedAt };
		this.entries.set(file, entry);
		this.bytes += data.length;
		for (const [oldest, old] of this.entries) {
			if (this.bytes <= this.opts.maxBytes) break;
			this.entries.delete(oldest);
			this.bytes -= old.data!.length;
		}
		return entry;
	}

	private drop(file: string): void {
		const old = this.entries.get(file);
		if (!old) return;
		this.entries.delete(file);
		this.bytes -= old.data!.length;
	}
}

/** Recordings above this are streamed from disk: larger than nearly every call. */
export const AUDIO_CACHE_MAX_FILE_BYTES = 2 * 2 ** 20;

/** The process's cache, sized from config (SQUELCH_AUDIO_CACHE_MB, SQUELCH_AUDIO_CACHE_REVALIDATE_MS). */
export function audioFiles(
	clock: Clock,
	config: { audioCacheBytes: number; audioCacheRevalidateMs: number }
): AudioFiles {
	return new AudioFiles(clock, {
		maxBytes: config.audioCacheBytes,
		maxFileBytes: AUDIO_CACHE_MAX_FILE_BYTES,
		revalidateMs: config.audioCacheRevalidateMs
	});
}

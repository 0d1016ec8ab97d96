import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { recordEvent } from '../core/event-log';
import type { Clock } from '../core/clock';
import { runFollowUps } from './reply';
import { handleUpload, type UploadDeps } from './upload';
import { AUDIO_EXTENSIONS, SidecarError, sidecarForm } from './sidecar';

/**
 * Folder ingest: watches directories for Trunk-Recorder output (audio + `.json` sidecar with the
 * same base name) and hands each complete pair to the upload handler, so it gets the same checks,
 * replies and event-log lines as an HTTP upload. A pair is read once both files have stayed the
 * same size and mtime for `watchSettleMs` (the recorder has finished writing), and only once:
 * folder_ingested remembers it by path, size and mtime across restarts. Several instances may
 * watch one shared folder: a pair is claimed in folder_ingested (status 0, `at` = when) by a
 * conditional upsert before it is read, so only one instance imports it; a claim older than
 * SQUELCH_CLAIM_LEASE (its instance crashed) is taken over.
 */

/** folder_ingested.status of a pair an instance is importing now. */
const CLAIMED = 0;

const SKIP_DIRS = new Set(['imported', 'failed']);
/** Entries looked at per folder per scan, so a huge folder cannot stall the process. */
const MAX_ENTRIES = 20_000;

export type FolderIngestDeps = UploadDeps & {
	clock: Clock;
	config: {
		dataDir: string;
		watchDirs: Array<{ dir: string; system: number }>;
		watchSettleMs: number;
		watchKey: string | null;
		watchMode: 'leave' | 'move';
		claimLeaseMs: number;
	};
};

export interface Seen {
	size: number;
	mtimeMs: number;
	since: number;
	/** Handled already (this size and mtime): skipped without asking the database again. */
	done?: boolean;
}

export function startFolderIngest(svc: FolderIngestDeps, intervalMs?: number): () => Promise<void> {
	const { watchDirs, watchSettleMs } = svc.config;
	if (!watchDirs.length) return async () => {};
	const seen = new Map<string, Seen>();
	const every = intervalMs ?? Math.min(5000, Math.max(200, Math.floor(watchSettleMs / 2)));
	let running: Promise<void> | null = null;
	const tick = () => {
		running ??= scanFolders(svc, seen)
			.catch((err) =>
				console.error('folder ingest failed:', err instanceof Error ? err.message : err)
			)
			.finally(() => (running = null));
	};
	const timer = setInterval(tick, every);
	timer.unref();
	tick();
	return async () => {
		clearInterval(timer);
		await running;
	};
}

/** One scan of every watched folder; `seen` carries each file's last size and mtime between scans. */
export async function scanFolders(svc: FolderIngestDeps, seen: Map<string, Seen>): Promise<void> {
	const listed = new Set<string>();
	for (const { dir, system } of svc.config.watchDirs) {
		const files = await listFiles(dir);
		for (const audio of files) {
			const ext = path.extname(audio).slice(1).toLowerCase();
			if (!AUDIO_EXTENSIONS.includes(ext)) continue;
			const sidecar = audio.slice(0, -ext.length) + 'json';
			if (seen.get(audio)?.done && (await unchanged(seen, audio))) continue;
			const a = await settled(svc, seen, audio);
			const j = await settled(svc, seen, sidecar);
			if (!a || !j) continue;
			const claim = await claimFile(svc, audio, a);
			if (claim === 'mine') await ingestPair(svc, { dir, system, audio, sidecar, stat: a });
			// Another instance is importing it: look again next scan, in case that instance dies.
			if (claim === 'busy') continue;
			const entry = seen.get(audio);
			if (entry) entry.done = true;
		}
		for (const file of files) listed.add(file);
	}
	// Forget files that are gone (moved, deleted), so the map stays as big as the folders.
	for (const file of seen.keys()) if (!listed.has(file)) seen.delete(file);
}

async function listFiles(root: string): Promise<string[]> {
	const out: string[] = [];
	const walk = async (dir: string, depth: number) => {
		const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
		for (const e of entries) {
			if (out.length >= MAX_ENTRIES) return;
			const full = path.join(dir, e.name);
			if (e.isDirectory()) {
				if (depth < 6 && !(depth === 0 && SKIP_DIRS.has(e.name))) await walk(full, depth + 1);
			} else if (e.isFile()) out.push(full);
		}
	};
	await walk(root, 0);
	return out.sort();
}

/** The file's stat once it has not changed for the settle time (by the service clock), else null. */
async function settled(svc: FolderIngestDeps, seen: Map<string, Seen>, file: string) {
	const stat = await fs.promises.stat(file).catch(() => null);
	if (!stat?.isFile()) return null;
	const now = svc.clock.now();
	const before = seen.get(file);
	if (!before || before.size !== stat.size || before.mtimeMs !== stat.mtimeMs) {
		seen.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, since: now });
		return svc.config.watchSettleMs === 0 ? stat : null;
	}
	return now - before.since >= svc.config.watchSettleMs ? stat : null;
}

async function unchanged(seen: Map<string, Seen>, file: string): Promise<boolean> {
	const stat = await fs.promises.stat(file).catch(() => null);
	const before = seen.get(file);
	return !!stat && !!before && stat.size === before.size && stat.mtimeMs === before.mtimeMs;
}

/**
 * Claims a file for this instance: a new path, a finished one whose size or mtime changed since,
 * or a claim whose lease ran out. The upsert's condition decides, so of several instances one wins.
 */
async function claimFile(
	svc: FolderIngestDeps,
	file: string,
	stat: fs.Stats
): Promise<'mine' | 'busy' | 'done'> {
	const now = svc.clock.now();
	const claim = {
		size: stat.size,
		mtime_ms: Math.floor(stat.mtimeMs),
		status: CLAIMED,
		reply: '',
		at: now
	};
	const result = await svc.db
		.insertInto('folder_ingested')
		.values({ path: file, ...claim })
		.onConflict((oc) =>
			oc
				.column('path')
				.doUpdateSet(claim)
				.where((eb) =>
					eb.or([
						eb.and([
							eb('folder_ingested.status', '=', CLAIMED),
							eb('folder_ingested.at', '<', now - svc.config.claimLeaseMs)
						]),
						eb.and([
							eb('folder_ingested.status', '!=', CLAIMED),
							eb.or([
								eb('folder_ingested.size', '!=', claim.size),
								eb('folder_ingested.mtime_ms', '!=', claim.mtime_ms)
							])
						])
					])
				)
		)
		.executeTakeFirst();
	if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return 'mine';
	const row = await svc.db
		.selectFrom('folder_ingested')
		.select('status')
		.where('path', '=', file)
		.executeTakeFirst();
	return row?.status === CLAIMED ? 'busy' : 'done';
}

async function ingestPair(
	svc: FolderIngestDeps,
	pair: { dir: string; system: number; audio: string; sidecar: string; stat: fs.Stats }
): Promise<void> {
	const name = path.relative(pair.dir, pair.audio);
	let status: number;
	let reply: string;
	try {
		const form = sidecarForm(
			await fs.promises.readFile(pair.sidecar, 'utf8'),
			await fs.promises.readFile(pair.audio),
			path.basename(pair.audio),
			{ key: svc.config.watchKey ?? '', system: pair.system }
		);
		const outcome = await handleUpload(svc, {
			method: 'POST',
			header: (h) => (h === 'content-type' ? form.contentType : null),
			body: Readable.from([form.body]),
			query: new URLSearchParams(),
			ip: 'folder'
		});
		runFollowUps(outcome.afterReply, 'folder ingest');
		status = outcome.reply.status;
		reply = typeof outcome.reply.body === 'string' ? outcome.reply.body : '';
	} catch (err) {
		if (!(err instanceof SidecarError)) throw err;
		status = 400;
		reply = err.message;
	}
	const ok = status >= 200 && status < 300;
	await svc.db
		.insertInto('folder_ingested')
		.values({
			path: pair.audio,
			size: pair.stat.size,
			mtime_ms: Math.floor(pair.stat.mtimeMs),
			status,
			reply,
			at: svc.clock.now()
		})
		.onConflict((oc) =>
			oc.column('path').doUpdateSet({
				size: pair.stat.size,
				mtime_ms: Math.floor(pair.stat.mtimeMs),
				status,
				reply,
				at: svc.clock.now()
			})
		)
		.execute();
	await recordEvent(svc, ok ? 'folder.ingested' : 'folder.rejected', { file: name, status, reply });
	if (svc.config.watchMode === 'move') await moveAway(pair, ok ? 'imported' : 'failed');
}

async function moveAway(pair: { dir: string; audio: string; sidecar: string }, into: string) {
	for (const file of [pair.audio, pair.sidecar]) {
		const target = path.join(pair.dir, into, path.relative(pair.dir, file));
		await fs.promises.mkdir(path.dirname(target), { recursive: true });
		await fs.promises.rename(file, target).catch(() => {});
	}
}

import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { recordEvent } from '../core/event-log';
import { getSettings } from '../core/settings';
import { runFollowUps } from './reply';
import { handleUpload, type UploadDeps } from './upload';
import { AUDIO_EXTENSIONS, SidecarError, sidecarForm } from './sidecar';
import { sdrtrunkRecordingForm } from './sdrtrunk-recording';
import type { Multipart } from './recorder-forms';
import { activeWatchFolders, type WatchDeps, type WatchFolder } from './watch-folders';

/**
 * Folder ingest: watches directories (admin settings and SQUELCH_WATCH_DIRS) for recorder output
 * and hands each complete call to the upload handler, so it gets the same checks, replies and
 * event-log lines as an HTTP upload. Trunk-Recorder writes audio + a `.json` sidecar with the same
 * base name; SDRTrunk writes one MP3 or WAV with the call in its tags and name
 * (sdrtrunk-recording.ts). A call is read once its files have stayed the same size and mtime for
 * `watchSettleMs` (the recorder has finished writing), and only once: folder_ingested remembers
 * it by path, size and mtime across restarts. The folder list is read again on every scan, so an
 * admin's change applies without a restart.
 * Several instances may watch one shared folder: a call is claimed in folder_ingested (status 0,
 * `at` = when) by a conditional upsert before it is read, so only one instance imports it; a
 * claim older than SQUELCH_CLAIM_LEASE (its instance crashed) is taken over.
 */

/** folder_ingested.status of a pair an instance is importing now. */
const CLAIMED = 0;

const SKIP_DIRS = new Set(['imported', 'failed']);
/** Entries looked at per folder per scan, so a huge folder cannot stall the process. */
const MAX_ENTRIES = 20_000;
/** A Trunk-Recorder sidecar is a few KiB; anything this big is not one. */
const MAX_SIDECAR_BYTES = 1024 * 1024;
const SDRTRUNK_EXTENSIONS = ['mp3', 'wav'];

export type FolderIngestDeps = UploadDeps &
	WatchDeps & {
		config: WatchDeps['config'] & { watchSettleMs: number; claimLeaseMs: number };
	};

export interface Seen {
	size: number;
	mtimeMs: number;
	since: number;
	/** Handled already (this size and mtime): skipped without asking the database again. */
	done?: boolean;
}

/** Scans every folder on a timer; the list may be empty now and filled by an admin later. */
export function startFolderIngest(svc: FolderIngestDeps, intervalMs?: number): () => Promise<void> {
	const seen = new Map<string, Seen>();
	const settle = svc.config.watchSettleMs;
	const every = intervalMs ?? Math.min(5000, Math.max(200, Math.floor(settle / 2)));
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

/** The files that make one call, beside the audio: Trunk-Recorder's sidecar, none for SDRTrunk. */
function companions(folder: WatchFolder, audio: string): string[] | null {
	const ext = path.extname(audio).slice(1).toLowerCase();
	if (folder.format === 'sdrtrunk') return SDRTRUNK_EXTENSIONS.includes(ext) ? [] : null;
	if (!AUDIO_EXTENSIONS.includes(ext)) return null;
	return [audio.slice(0, -ext.length) + 'json'];
}

/** One scan of every watched folder; `seen` carries each file's last size and mtime between scans. */
export async function scanFolders(svc: FolderIngestDeps, seen: Map<string, Seen>): Promise<void> {
	const listed = new Set<string>();
	for (const folder of await activeWatchFolders(svc)) {
		const files = await listFiles(folder.dir);
		for (const audio of files) {
			const others = companions(folder, audio);
			if (!others) continue;
			if (seen.get(audio)?.done && (await unchanged(seen, audio))) continue;
			const stat = await settled(svc, seen, audio);
			let ready = !!stat;
			for (const file of others) ready = !!(await settled(svc, seen, file)) && ready;
			if (!stat || !ready) continue;
			const claim = await claimFile(svc, audio, stat);
			if (claim === 'mine') await ingestCall(svc, { folder, audio, others, stat });
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

type FolderCall = { folder: WatchFolder; audio: string; others: string[]; stat: fs.Stats };

/** The call as its recorder would upload it; SidecarError when its files cannot be read as one. */
async function folderForm(call: FolderCall, maxAudioBytes: number): Promise<Multipart> {
	const { folder, audio, stat } = call;
	if (stat.size > maxAudioBytes)
		throw new SidecarError(`Audio larger than the ${maxAudioBytes}-byte upload limit.`, 413);
	const bytes = await fs.promises.readFile(audio);
	const key = 'text' in folder.key ? folder.key.text : '';
	const name = path.basename(audio);
	if (folder.format === 'sdrtrunk')
		return sdrtrunkRecordingForm(bytes, name, { key, system: folder.system });
	const sidecar = call.others[0];
	if ((await fs.promises.stat(sidecar)).size > MAX_SIDECAR_BYTES)
		throw new SidecarError('sidecar larger than 1 MiB');
	const json = await fs.promises.readFile(sidecar, 'utf8');
	return sidecarForm(json, bytes, name, { key, system: folder.system });
}

async function ingestCall(svc: FolderIngestDeps, call: FolderCall): Promise<void> {
	const { folder, audio, stat } = call;
	const name = path.relative(folder.dir, audio);
	let status: number;
	let reply: string;
	try {
		const form = await folderForm(call, (await getSettings(svc.db)).maxUploadBytes);
		const outcome = await handleUpload(svc, {
			method: 'POST',
			header: (h) => (h === 'content-type' ? form.contentType : null),
			body: Readable.from([form.body]),
			query: new URLSearchParams(),
			ip: 'folder',
			// An admin's folder names its key by id (a deleted key's -1 is refused as a bad key).
			uploadKeyId: 'id' in folder.key ? (folder.key.id ?? -1) : undefined
		});
		runFollowUps(outcome.afterReply, 'folder ingest');
		status = outcome.reply.status;
		reply = typeof outcome.reply.body === 'string' ? outcome.reply.body : '';
	} catch (err) {
		if (!(err instanceof SidecarError)) throw err;
		status = err.status;
		reply = err.message;
	}
	const ok = status >= 200 && status < 300;
	const row = {
		size: stat.size,
		mtime_ms: Math.floor(stat.mtimeMs),
		status,
		reply,
		at: svc.clock.now()
	};
	await svc.db
		.insertInto('folder_ingested')
		.values({ path: audio, ...row })
		.onConflict((oc) => oc.column('path').doUpdateSet(row))
		.execute();
	await recordEvent(svc, ok ? 'folder.ingested' : 'folder.rejected', {
		folder: folder.dir,
		file: name,
		status,
		reply
	});
	if (folder.mode === 'move')
		await moveAway(folder.dir, [audio, ...call.others], ok ? 'imported' : 'failed');
}

async function moveAway(dir: string, files: string[], into: string) {
	for (const file of files) {
		const target = path.join(dir, into, path.relative(dir, file));
		await fs.promises.mkdir(path.dirname(target), { recursive: true });
		await fs.promises.rename(file, target).catch(() => {});
	}
}

import fs from 'node:fs';
import type { DB } from '../core/db';
import type { Clock } from '../core/clock';
import type { Viewer } from '../auth/access-token';
import { getSettings } from '../core/settings';
import { audibleScope, type ScopeView } from './access';
import { scopeFilter } from './dto';
import { absoluteAudioPath } from './storage';
import { parseRange } from './range';
import { textReply as text, type Reply } from './reply';
import type { AudioFiles, AudioFileInfo } from './audio-files';

/** What serving audio needs: the database, the time (broadcast delay) and where recordings live. */
export interface AudioDeps {
	db: DB;
	clock: Clock;
	config: { recordingsDir: string };
	/** Small recordings held in memory (app.ts); without it every request reads the disk. */
	audioFiles?: AudioFiles;
	/** Listeners' grants held in memory (app.ts); without it they are read per request. */
	scopeView?: ScopeView;
}

export interface AudioRequest {
	method: string;
	/** A request header by lower-case name, or null. */
	header(name: string): string | null;
	/** From the bearer header or the access cookie (http/request-auth.ts). */
	viewer: Viewer | null;
	/** The `:id` path segment as sent. */
	id: string;
}

/**
 * GET/HEAD /api/calls/:id/audio, served by the production hot path (http/hot-routes.ts) and by
 * the SvelteKit route alike. A call that is missing and one the viewer may not hear both answer
 * 404, so the URL tells nothing. The file path comes from the database row, never from the request.
 */
export async function serveAudio(svc: AudioDeps, input: AudioRequest): Promise<Reply> {
	const { viewer } = input;
	if (input.method !== 'GET' && input.method !== 'HEAD')
		return text(405, 'method not allowed', { allow: 'GET, HEAD' });
	if (!viewer && !(await getSettings(svc.db)).publicListening) {
		return text(401, 'sign in required', { 'www-authenticate': 'Bearer' });
	}
	const id = /^\d{1,15}$/.test(input.id) ? Number(input.id) : 0;
	const scope = await audibleScope(svc, viewer, svc.scopeView);
	const row = id
		? await svc.db
				.selectFrom('calls')
				.select(['id', 'audio_path', 'audio_type', 'audio_size'])
				.where('calls.id', '=', id)
				.where(scopeFilter(scope))
				.executeTakeFirst()
		: undefined;
	if (!row) return text(404, 'not found');
	// Per user, and revalidated each time so a revoked viewer stops at the next play.
	return serveStoredAudio(svc, input, row, 'private, no-cache');
}

/** The stored audio file of a call row the caller was allowed, with validators and Range. */
export interface AudioRow {
	id: number;
	audio_path: string;
	audio_type: string;
}

/**
 * Serves one call's stored file: 304/206/416 as HTTP says. Shared by the viewer-checked route
 * above and the share-link route (share/), which checks the link instead.
 */
export async function serveStoredAudio(
	svc: Pick<AudioDeps, 'config' | 'audioFiles'>,
	input: Pick<AudioRequest, 'method' | 'header'>,
	row: AudioRow,
	cacheControl: string
): Promise<Reply> {
	const { header } = input;
	const file = absoluteAudioPath(svc.config.recordingsDir, row.audio_path);
	const stat = file ? await fileInfo(svc, file) : null;
	if (!file || !stat) return text(404, 'not found');

	const etag = `"${row.id}-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
	const lastModified = new Date(Math.floor(stat.mtimeMs / 1000) * 1000);
	const ext = row.audio_path.split('.').pop() ?? 'bin';
	const headers: Record<string, string> = {
		'content-type': row.audio_type,
		'accept-ranges': 'bytes',
		etag,
		'last-modified': lastModified.toUTCString(),
		'cache-control': cacheControl,
		'content-disposition': `inline; filename="call-${row.id}.${ext}"`
	};

	if (notModified(header, etag, lastModified)) return { status: 304, headers, body: null };

	const size = stat.size;
	const ifRange = header('if-range');
	const rangeApplies =
		!ifRange ||
		ifRange.trim() === etag ||
		(!ifRange.startsWith('"') &&
			!ifRange.startsWith('W/') &&
			Date.parse(ifRange) >= lastModified.getTime());
	const range = rangeApplies ? parseRange(header('range'), size) : null;
	if (range === 'unsatisfiable') {
		return text(416, 'range not satisfiable', {
			'content-range': `bytes */${size}`,
			'accept-ranges': 'bytes'
		});
	}
	const start = range?.start ?? 0;
	const end = range?.end ?? size - 1;
	headers['content-length'] = String(size === 0 ? 0 : end - start + 1);
	if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
	const status = range ? 206 : 200;
	if (input.method === 'HEAD' || size === 0) return { status, headers, body: null };
	return { status, headers, body: { file, start, end, data: stat.data } };
}

async function fileInfo(
	svc: Pick<AudioDeps, 'audioFiles'>,
	file: string
): Promise<AudioFileInfo | null> {
	if (svc.audioFiles) return svc.audioFiles.info(file);
	const stat = await fs.promises.stat(file).catch(() => null);
	return stat?.isFile() ? { size: stat.size, mtimeMs: stat.mtimeMs, data: null } : null;
}

function notModified(header: AudioRequest['header'], etag: string, lastModified: Date): boolean {
	const inm = header('if-none-match');
	if (inm !== null) {
		if (inm.trim() === '*') return true;
		return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
	}
	const ims = header('if-modified-since');
	if (ims) {
		const since = Date.parse(ims);
		return Number.isFinite(since) && lastModified.getTime() <= since;
	}
	return false;
}

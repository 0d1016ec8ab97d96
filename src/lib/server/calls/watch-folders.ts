import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { EnvWatchDir, WatchFormat } from '../core/config';
import { ServiceError } from '../core/errors';

/**
 * The folders folder ingest watches: those an admin sets up (the watch_folders table, changed at
 * run time: each scan reads them again) and those SQUELCH_WATCH_DIRS names (read-only here, for
 * headless installs).
 */

export type WatchMode = 'leave' | 'move';

/** One folder as the scanner sees it. */
export interface WatchFolder {
	/** null for a folder from the environment. */
	id: number | null;
	dir: string;
	format: WatchFormat;
	system: number;
	/** The key the calls are judged as: its text (env), or an upload key's id (admin; null: deleted). */
	key: { text: string } | { id: number | null };
	mode: WatchMode;
}

export interface WatchFolderInput {
	path: string;
	format: WatchFormat;
	system: number;
	apiKeyId: number;
	mode: WatchMode;
	enabled: boolean;
}

export interface WatchDeps {
	db: DB;
	clock: Clock;
	config: {
		dataDir: string;
		watchDirs: EnvWatchDir[];
		watchKey: string | null;
		watchMode: WatchMode;
	};
}

const inside = (child: string, parent: string) => {
	const rel = path.relative(parent, child);
	return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** An absolute path to an existing directory that is not the server's own data. */
async function checkPath(raw: string, dataDir: string): Promise<string> {
	if (!path.isAbsolute(raw))
		throw new ServiceError('BAD_REQUEST', 'path: must be an absolute path');
	const dir = path.resolve(raw);
	const stat = await fs.promises.stat(dir).catch(() => null);
	if (!stat) throw new ServiceError('BAD_REQUEST', `path: ${dir} does not exist`);
	if (!stat.isDirectory()) throw new ServiceError('BAD_REQUEST', `path: ${dir} is not a directory`);
	// Watching the recordings (or a folder holding them) would import our own files again.
	const data = path.resolve(dataDir);
	if (inside(dir, data) || inside(data, dir))
		throw new ServiceError('BAD_REQUEST', 'path: must not be inside or above DATA_DIR');
	return dir;
}

async function checkKey(db: DB, id: number): Promise<void> {
	const key = await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
	if (!key) throw new ServiceError('BAD_REQUEST', 'apiKeyId: no such upload key');
}

/** One folder is scanned by one entry: the same path, or one inside another, is refused. */
async function assertFree(db: DB, dir: string, except: number | null, env: EnvWatchDir[]) {
	const overlaps = (other: string) => inside(dir, other) || inside(other, dir);
	if (env.some((e) => overlaps(e.dir)))
		throw new ServiceError('CONFLICT', 'path: already watched (SQUELCH_WATCH_DIRS)');
	const rows = await db.selectFrom('watch_folders').select(['id', 'path']).execute();
	const clash = rows.find((r) => r.id !== except && overlaps(r.path));
	if (clash)
		throw new ServiceError(
			'CONFLICT',
			clash.path === dir
				? 'path: this folder is already watched'
				: `path: overlaps the watched folder ${clash.path}`
		);
}

export async function createWatchFolder(deps: WatchDeps, input: WatchFolderInput) {
	const dir = await checkPath(input.path, deps.config.dataDir);
	await checkKey(deps.db, input.apiKeyId);
	await assertFree(deps.db, dir, null, deps.config.watchDirs);
	const now = deps.clock.now();
	const row = await deps.db
		.insertInto('watch_folders')
		.values({
			path: dir,
			format: input.format,
			system_ref: input.system,
			api_key_id: input.apiKeyId,
			mode: input.mode,
			enabled: input.enabled ? 1 : 0,
			created_at: now,
			updated_at: now
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	return row.id;
}

export async function updateWatchFolder(
	deps: WatchDeps,
	id: number,
	input: Partial<WatchFolderInput>
) {
	const patch: Record<string, unknown> = { updated_at: deps.clock.now() };
	if (input.path !== undefined) {
		patch.path = await checkPath(input.path, deps.config.dataDir);
		await assertFree(deps.db, patch.path as string, id, deps.config.watchDirs);
	}
	if (input.apiKeyId !== undefined) {
		await checkKey(deps.db, input.apiKeyId);
		patch.api_key_id = input.apiKeyId;
	}
	if (input.format !== undefined) patch.format = input.format;
	if (input.system !== undefined) patch.system_ref = input.system;
	if (input.mode !== undefined) patch.mode = input.mode;
	if (input.enabled !== undefined) patch.enabled = input.enabled ? 1 : 0;
	const result = await deps.db
		.updateTable('watch_folders')
		.set(patch)
		.where('id', '=', id)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) throw new ServiceError('NOT_FOUND', 'id: no such folder');
}

export async function deleteWatchFolder(db: DB, id: number) {
	const result = await db.deleteFrom('watch_folders').where('id', '=', id).executeTakeFirst();
	if (!Number(result.numDeletedRows)) throw new ServiceError('NOT_FOUND', 'id: no such folder');
}

/** Every folder for the admin page: the admin's (editable), then the environment's (read-only). */
export async function listWatchFolders(deps: WatchDeps) {
	const rows = await deps.db
		.selectFrom('watch_folders')
		.leftJoin('api_keys', 'api_keys.id', 'watch_folders.api_key_id')
		.select([
			'watch_folders.id',
			'watch_folders.path',
			'watch_folders.format',
			'watch_folders.system_ref',
			'watch_folders.api_key_id',
			'watch_folders.mode',
			'watch_folders.enabled',
			'api_keys.name as key_name'
		])
		.orderBy('watch_folders.id')
		.execute();
	const admin = rows.map((r) => ({
		id: r.id as number | null,
		path: r.path,
		format: r.format,
		system: r.system_ref,
		apiKeyId: r.api_key_id,
		apiKeyName: r.key_name ?? null,
		mode: r.mode,
		enabled: r.enabled === 1,
		source: 'admin' as 'admin' | 'env'
	}));
	const env = deps.config.watchDirs.map((d) => ({
		id: null,
		path: d.dir,
		format: d.format,
		system: d.system,
		apiKeyId: null,
		apiKeyName: 'SQUELCH_WATCH_KEY',
		mode: deps.config.watchMode,
		enabled: true,
		source: 'env' as const
	}));
	return [...admin, ...env];
}

/** The folders to scan now: enabled admin folders and the environment's. */
export async function activeWatchFolders(deps: WatchDeps): Promise<WatchFolder[]> {
	const rows = await deps.db
		.selectFrom('watch_folders')
		.select(['id', 'path', 'format', 'system_ref', 'api_key_id', 'mode'])
		.where('enabled', '=', 1)
		.orderBy('id')
		.execute();
	const { watchDirs, watchKey, watchMode } = deps.config;
	return [
		...rows.map((r) => ({
			id: r.id,
			dir: r.path,
			format: r.format,
			system: r.system_ref,
			key: { id: r.api_key_id },
			mode: r.mode
		})),
		...watchDirs.map((d) => ({
			id: null,
			dir: d.dir,
			format: d.format,
			system: d.system,
			key: { text: watchKey ?? '' },
			mode: watchMode
		}))
	];
}

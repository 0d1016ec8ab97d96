import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../core/clock';
import type { ExpressionBuilder } from 'kysely';
import type { DB } from '../core/db';
import type { Database } from '../core/db/types';
import { getSettings } from '../core/settings';
import { pruneEventLog } from '../core/event-log';
import { absoluteAudioPath } from './storage';

export interface RetentionDeps {
	db: DB;
	clock: Clock;
	config: { recordingsDir: string };
}

const DAY_MS = 86_400_000;
const BATCH = 500;
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes calls older than `retentionDays` (0 keeps everything) and their audio files, in batches
 * so a large backlog never holds the database for long. Rows go first: a crash between the two
 * steps leaves an unreferenced file (harmless, never served) rather than a row whose file is gone.
 */
export async function pruneOldCalls(deps: RetentionDeps): Promise<{ deleted: number }> {
	const { retentionDays } = await getSettings(deps.db);
	if (retentionDays <= 0) return { deleted: 0 };
	const now = deps.clock.now();
	const cutoff = now - retentionDays * DAY_MS;
	let deleted = 0;
	for (;;) {
		const rows = await deps.db
			.selectFrom('calls')
			.select(['id', 'audio_path', 'original_path'])
			.where('date_time', '<', cutoff)
			.where(({ not, exists, selectFrom }) => not(exists(liveShareOf(selectFrom, now))))
			.orderBy('date_time', 'asc')
			.limit(BATCH)
			.execute();
		if (!rows.length) break;
		await deps.db
			.deleteFrom('calls')
			.where(
				'id',
				'in',
				rows.map((r) => r.id)
			)
			.execute();
		const dirs = new Set<string>();
		for (const row of rows) {
			for (const stored of [row.audio_path, row.original_path]) {
				const file = stored && absoluteAudioPath(deps.config.recordingsDir, stored);
				if (!file) continue;
				await fs.promises.rm(file, { force: true }).catch(() => {});
				dirs.add(path.dirname(file));
			}
		}
		await removeEmptyDirs(deps.config.recordingsDir, dirs);
		deleted += rows.length;
		if (rows.length < BATCH) break;
	}
	return { deleted };
}

/** A live share link (not revoked, not expired) that holds the call: it is kept past retention. */
function liveShareOf(selectFrom: ExpressionBuilder<Database, 'calls'>['selectFrom'], now: number) {
	return selectFrom('share_link_calls')
		.innerJoin('share_links', 'share_links.id', 'share_link_calls.link_id')
		.select('share_link_calls.call_id')
		.whereRef('share_link_calls.call_id', '=', 'calls.id')
		.where('share_links.revoked_at', 'is', null)
		.where((eb) =>
			eb.or([eb('share_links.expires_at', 'is', null), eb('share_links.expires_at', '>', now)])
		);
}

/** Removes emptied day folders and then their month and year folders, never the root. */
async function removeEmptyDirs(root: string, dirs: Set<string>): Promise<void> {
	for (const start of dirs) {
		let dir = start;
		while (dir.startsWith(root + path.sep)) {
			try {
				await fs.promises.rmdir(dir); // fails (and stops) when not empty
			} catch {
				break;
			}
			dir = path.dirname(dir);
		}
	}
}

/** Prunes calls (and the admin event log) now and then every interval; returns the stop function (for services.onShutdown). */
export function startRetention(deps: RetentionDeps, intervalMs = PRUNE_INTERVAL_MS): () => void {
	let running = false;
	const run = async () => {
		if (running) return;
		running = true;
		try {
			const { deleted } = await pruneOldCalls(deps);
			if (deleted) console.log(`Squelch: retention removed ${deleted} old call(s)`);
			await pruneEventLog(deps);
		} catch (err) {
			console.error('Squelch: retention prune failed:', err instanceof Error ? err.message : err);
		} finally {
			running = false;
		}
	};
	void run();
	const timer = setInterval(() => void run(), intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}

import { sql } from 'kysely';
import type { DB } from '../core/db';
import { isPostgres } from '../core/db/dialect';
import type { IncomingCall } from '../calls/ingest';
import { filesUnder, incomingCall } from '../calls/test-support';

/** For specs that race an upload against deleting its system or talkgroup. */

/** A piece of work whose end the spec can look at without awaiting it. */
export interface Tracked<T> {
	settled: boolean;
	outcome: Promise<{ value: T } | { error: unknown }>;
}

export function tracked<T>(work: Promise<T>): Tracked<T> {
	const t: Tracked<T> = {
		settled: false,
		outcome: work.then(
			(value) => ({ value }),
			(error: unknown) => ({ error })
		)
	};
	void t.outcome.finally(() => (t.settled = true));
	return t;
}

/** A refusal's code (ServiceError), or 'done'. */
export async function codeOrDone(work: Tracked<unknown>): Promise<string> {
	const out = await work.outcome;
	if ('value' in out) return 'done';
	return (out.error as { code?: string }).code ?? String(out.error);
}

/**
 * Resolves when `work` has settled or at least `waiters` sessions of this database wait for a
 * lock (an advisory lock or a row another transaction holds). PostgreSQL only: SQLite runs one
 * transaction at a time on its one connection, so there a transaction started while another is
 * open cannot begin before it ends, and there is no wait to observe.
 */
export async function settledOrWaiting(
	db: DB,
	work: { settled: boolean },
	waiters = 1
): Promise<void> {
	if (!isPostgres(db)) return;
	while (!work.settled) {
		const { rows } = await sql<{ n: number }>`
			select count(*)::int as n from pg_stat_activity
			where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
		if (rows[0].n >= waiters) return;
		await new Promise((resolve) => setImmediate(resolve));
	}
}

/**
 * An upload to system 1, talkgroup 100 with the labels seedSystem gave them: it writes no row
 * (no label filled in) before its call.
 */
export function callToSeeded(recordingsDir: string): IncomingCall {
	return incomingCall(recordingsDir, {
		talkgroupLabel: 'TG 100',
		talkgroupName: '',
		talkgroupGroup: '',
		talkgroupTag: ''
	});
}

/** The stored calls and every file under the recordings directory (temp files included). */
export async function callsAndFiles(deps: { db: DB; config: { recordingsDir: string } }) {
	const calls = await deps.db
		.selectFrom('calls')
		.select(['id', 'system_id', 'audio_path'])
		.orderBy('id')
		.execute();
	return { calls, files: filesUnder(deps.config.recordingsDir) };
}

import type { Clock } from './clock';
import type { DB } from './db';

/** The tables whose rows an instance claims with claimed_by/claimed_until (migration 0016). */
const CLAIMED_TABLES = ['outbox', 'audio_jobs'] as const;

/**
 * At start-up, gives back work claimed by instances that are gone, so a restart redoes it at once
 * rather than after the lease. On SQLite this process is the only one: every claim is stale (a
 * crash left it). On PostgreSQL a claim is stale when its instance has no heartbeat newer than
 * the presence TTL (`instances`, live/presence-sync.ts); other claims run out with their lease.
 */
export async function releaseStaleClaims(
	db: DB,
	clock: Clock,
	opts: { shared: boolean; presenceTtlMs: number }
): Promise<number> {
	const liveSince = clock.now() - opts.presenceTtlMs;
	let released = 0;
	for (const table of CLAIMED_TABLES) {
		// The two tables have the same claim columns: typed as one of them.
		let query = db
			.updateTable(table as 'outbox')
			.set({ claimed_by: null, claimed_until: null })
			.where('claimed_by', 'is not', null);
		if (opts.shared)
			query = query.where('claimed_by', 'not in', (eb) =>
				eb
					.selectFrom('instances')
					.select('instances.id')
					.where('instances.heartbeat_at', '>=', liveSince)
			);
		released += Number((await query.executeTakeFirst()).numUpdatedRows);
	}
	// Folder claims name no instance: on SQLite any claim is a crash's; on PostgreSQL the lease decides.
	if (!opts.shared)
		released += Number(
			(await db.deleteFrom('folder_ingested').where('status', '=', 0).executeTakeFirst())
				.numDeletedRows
		);
	return released;
}

import type { Clock } from '../clock';
import type { DB } from '../db';
import type { Bus } from './bus';
import type { Presence } from './presence';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear } from '../calls/access';
import { scopeFilter, selectCalls, toCall, type Call } from '../calls/dto';
import { liveFeeds } from './feeds';
import { resumable } from './resumable';
import { mutedKey, mutedSet } from '../scanner/selection';

/** A resuming listener gets at most this many missed calls, from at most this far back. */
export const REPLAY_LIMIT = 500;
export const REPLAY_WINDOW_MS = 15 * 60_000;

export interface CallStreamDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	presence: Presence;
}

/**
 * New calls the viewer may hear and has not turned off in the scanner, in id order: first those missed since `lastEventId` (the newest
 * REPLAY_LIMIT stored within REPLAY_WINDOW_MS), then live. While it runs, the listener counts
 * as present under `presenceKey`.
 */
export async function* streamCalls(
	deps: CallStreamDeps,
	viewer: Viewer | null,
	opts: { lastEventId: number | null; presenceKey: string; signal?: AbortSignal }
): AsyncGenerator<Call, void, undefined> {
	const scope = await accessScope(deps.db, viewer);
	// The user's scanner selection, read once per stream: changing it publishes access.changed,
	// which makes the user's sockets reconnect and resubscribe with the new one.
	const muted = viewer ? await mutedSet(deps.db, viewer.userId) : new Set<string>();
	const selected = (call: Call) => !muted.has(mutedKey(call.system.id, call.talkgroup.id));
	deps.presence.connected(opts.presenceKey);
	try {
		const rows = resumable({
			feed: liveFeeds(deps).calls,
			idOf: (row) => row.call.id,
			accept: (row) => canHear(scope, row.systemId, row.talkgroupId) && selected(row.call),
			lastEventId: opts.lastEventId,
			signal: opts.signal,
			replay: async (afterId, upToId) => {
				const newest = await selectCalls(deps.db)
					.where('calls.id', '>', afterId)
					.where('calls.id', '<=', upToId)
					// Stored recently: a recorder's late upload counts from when it arrived.
					.where('calls.created_at', '>=', deps.clock.now() - REPLAY_WINDOW_MS)
					.where(scopeFilter(scope))
					.orderBy('calls.id', 'desc')
					.limit(REPLAY_LIMIT)
					.execute();
				return newest
					.reverse()
					.map((row) => ({ call: toCall(row), systemId: row.system_id, talkgroupId: row.talkgroup_id }))
					.filter((row) => selected(row.call));
			}
		});
		for await (const row of rows) yield row.call;
	} finally {
		deps.presence.disconnected(opts.presenceKey);
	}
}

import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import type { Presence } from './presence';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear, type AccessScope } from '../calls/access';
import { scopeFilter, selectCalls } from '../calls/dto';
import { toLiveCall, type LiveFeeds } from './feeds';
import type { LiveCall } from './live-call';
import { mutedKey, mutedSet } from '../scanner/selection';

/** A resuming listener gets at most this many missed calls, from at most this far back. */
export const REPLAY_LIMIT = 500;
export const REPLAY_WINDOW_MS = 15 * 60_000;

export interface CallStreamDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	presence: Presence;
	feeds: LiveFeeds;
}

export interface CallStream {
	/** Stops delivery and the listener's presence; safe to call more than once. */
	close(): void;
}

/**
 * Opens one listener's stream: `deliver` gets every new call the viewer may hear and has not
 * turned off in the scanner, in id order, with no gap and no duplicate — first those missed
 * since `lastEventId` (the newest REPLAY_LIMIT stored within REPLAY_WINDOW_MS), then live.
 *
 * Delivery is synchronous, straight from the process's one call feed: a live call reaches every
 * listener in one pass, with no per-listener queue or promise in between (the WebSocket side
 * writes a ready frame; a listener that cannot keep up is cut off there as a slow consumer).
 * While open, the listener counts as present under `presenceKey`.
 */
export async function openCallStream(
	deps: CallStreamDeps,
	viewer: Viewer | null,
	opts: { lastEventId: number | null; presenceKey: string; deliver: (call: LiveCall) => void }
): Promise<CallStream> {
	const scope = await accessScope(deps.db, viewer);
	// The user's scanner selection, read once per stream: changing it publishes access.changed,
	// which makes the user's sockets reconnect and resubscribe with the new one.
	const muted = viewer ? await mutedSet(deps.db, viewer.userId) : new Set<string>();
	const selected = (c: LiveCall) => !muted.has(mutedKey(c.call.system.id, c.call.talkgroup.id));

	let closed = false;
	let lastSent = -Infinity;
	const send = (c: LiveCall) => {
		if (closed || c.id <= lastSent) return;
		lastSent = c.id;
		opts.deliver(c);
	};
	// Live calls that arrive while the replay is read wait here, then follow it.
	let held: LiveCall[] | null = [];
	const subscription = await deps.feeds.calls.subscribe((c) => {
		if (!canHear(scope, c.systemId, c.talkgroupId) || !selected(c)) return;
		if (held) held.push(c);
		else send(c);
	});
	deps.presence.connected(opts.presenceKey);
	const close = () => {
		if (closed) return;
		closed = true;
		subscription.unsubscribe();
		deps.presence.disconnected(opts.presenceKey);
	};

	try {
		// The feed's seam: rows up to startId are in the table, rows above it come live. A
		// lastEventId from another history (a reset database) is ahead of the seam: the replay is
		// empty and live calls still arrive, since only ids this stream sent are skipped.
		if (opts.lastEventId !== null) {
			const missed = await missedCalls(deps, scope, opts.lastEventId, subscription.startId);
			for (const c of missed) if (selected(c)) send(c);
		}
		for (const c of held) send(c);
		held = null;
	} catch (err) {
		close();
		throw err;
	}
	return { close };
}

async function missedCalls(
	deps: CallStreamDeps,
	scope: AccessScope,
	afterId: number,
	upToId: number
): Promise<LiveCall[]> {
	const newest = await selectCalls(deps.db)
		.where('calls.id', '>', afterId)
		.where('calls.id', '<=', upToId)
		// Stored recently: a recorder's late upload counts from when it arrived.
		.where('calls.created_at', '>=', deps.clock.now() - REPLAY_WINDOW_MS)
		.where(scopeFilter(scope))
		.orderBy('calls.id', 'desc')
		.limit(REPLAY_LIMIT)
		.execute();
	return newest.reverse().map(toLiveCall);
}

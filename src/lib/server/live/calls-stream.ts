import { sql } from 'kysely';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import type { Presence } from './presence';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear } from '../calls/access';
import { audienceOf } from '../calls/publish';
import type { Audience } from '../core/db/types';
import { liveFeeds, publicationsAfter } from './feeds';
import type { LiveCall } from '../realtime/live-call';
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
	// Broadcast delay (calls/publish.ts): the stream follows the publication sequence of the
	// viewer's audience, so a delayed call arrives when it is due, in order, without a gap.
	const audiences = audiencesFor(await audienceOf(deps.db, viewer));
	const forViewer = (c: LiveCall) =>
		audiences.includes(c.audience) && canHear(scope, c.systemId, c.talkgroupId) && selected(c);

	let closed = false;
	let lastSent = -Infinity;
	const send = (c: LiveCall) => {
		if (closed || c.seq <= lastSent) return;
		lastSent = c.seq;
		opts.deliver(c);
	};
	// Live calls that arrive while the replay is read wait here, then follow it.
	let held: LiveCall[] | null = [];
	const subscription = await liveFeeds(deps).calls.subscribe((c) => {
		if (!forViewer(c)) return;
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
			const after = await resumeSeq(deps, opts.lastEventId, audiences);
			const missed = await missedCalls(deps, audiences, after, subscription.startId);
			for (const c of missed) if (forViewer(c)) send(c);
		}
		for (const c of held) send(c);
		held = null;
	} catch (err) {
		close();
		throw err;
	}
	return { close };
}

/** Publications an audience receives: its own, and those for everyone. */
function audiencesFor(audience: 'exempt' | 'public'): Audience[] {
	return audience === 'exempt' ? ['all', 'exempt'] : ['all', 'public'];
}

/**
 * The tracked id is the call id (CONTRACT.md); the stream resumes after that call's publication
 * for this audience. A call with none for it (the viewer's audience changed) resumes after its
 * earliest one: a repeat rather than a miss. An id with no publication (a call since deleted, or
 * another history) resumes after the publications of every lower call id, as ids did before.
 */
async function resumeSeq(
	deps: CallStreamDeps,
	callId: number,
	audiences: Audience[]
): Promise<number> {
	const rows = await deps.db
		.selectFrom('call_publications')
		.select(['seq', 'audience'])
		.where('call_id', '=', callId)
		.orderBy('seq')
		.execute();
	const own = rows.find((r) => audiences.includes(r.audience)) ?? rows[0];
	if (own) return own.seq;
	const below = await deps.db
		.selectFrom('call_publications')
		.select(sql<number | null>`max(seq)`.as('seq'))
		.where('call_id', '<', callId)
		.executeTakeFirst();
	return below?.seq ?? 0;
}

async function missedCalls(
	deps: CallStreamDeps,
	audiences: Audience[],
	afterSeq: number,
	upToSeq: number
): Promise<LiveCall[]> {
	// The newest REPLAY_LIMIT published recently (a late upload counts from when it was published);
	// access and the scanner selection are checked by the caller.
	return publicationsAfter(deps.db, afterSeq, REPLAY_LIMIT, {
		upToSeq,
		since: deps.clock.now() - REPLAY_WINDOW_MS,
		audiences,
		newest: true
	});
}

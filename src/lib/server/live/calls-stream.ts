import { sql } from 'kysely';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { ServiceError } from '../core/errors';
import type { Presence } from './presence';
import type { Viewer } from '../auth/access-token';
import { canHear, listeningScope, type AccessScope } from '../calls/access';
import { audienceOf } from '../calls/publish';
import type { Audience } from '../core/db/types';
import { publicationsAfter, type LiveFeeds } from './feeds';
import type { LiveCall } from './live-call';
import { mutedKey, mutedSet } from '../scanner/selection';
import { resume, type Resumed } from './resumable';
import type { BusView } from '../core/bus-view';

/** A resuming listener gets at most this many missed calls, from at most this far back. */
export const REPLAY_LIMIT = 500;
export const REPLAY_WINDOW_MS = 15 * 60_000;

export interface CallStreamDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	presence: Presence;
	feeds: LiveFeeds;
	/**
	 * What listeners hear, by user, kept current by the bus (core/bus-view.ts): the sockets of
	 * one user open their streams on one read (and share its sets) instead of one each.
	 */
	hearingView?: HearingView;
}

/** Hearing by user id (anonymous listeners under ANONYMOUS). */
export type HearingView = BusView<number, Hearing | null>;
const ANONYMOUS = -1;

export interface CallStream {
	/** Stops delivery and the listener's presence; safe to call more than once. */
	close(): void;
	/** Resolves once every access re-read started so far has been applied (tests, like feed.settled). */
	settled(): Promise<void>;
}

export interface CallStreamOptions {
	lastEventId: number | null;
	/** With a transcript update's id (`<callId>:<seq>`): resume right after that publication. */
	lastSeq?: number | null;
	presenceKey: string;
	deliver(call: LiveCall): void;
	/**
	 * The stream ended on its own: the viewer may no longer listen (a ServiceError UNAUTHORIZED,
	 * e.g. public listening turned off), or their access could not be read again.
	 */
	onEnd(error: unknown): void;
}

/**
 * What a listener hears: their access scope, minus what they turned off in the scanner, from the
 * publications of their audience (broadcast delay, calls/publish.ts: a delayed call arrives when
 * it is due, in order, without a gap).
 */
export interface Hearing {
	scope: AccessScope;
	muted: ReadonlySet<string>;
	audiences: readonly Audience[];
}

// Shared by every stream that has them (most): a socket holds no set or array of its own.
const NO_MUTES: ReadonlySet<string> = new Set();
const EXEMPT_AUDIENCES: readonly Audience[] = ['all', 'exempt'];
const PUBLIC_AUDIENCES: readonly Audience[] = ['all', 'public'];

async function hearing(deps: CallStreamDeps, viewer: Viewer | null): Promise<Hearing | null> {
	const scope = await listeningScope(deps, viewer);
	if (!scope) return null;
	const muted = viewer ? await mutedSet(deps.db, viewer.userId) : NO_MUTES;
	return {
		scope,
		muted: muted.size > 0 ? muted : NO_MUTES,
		audiences: audiencesFor(await audienceOf(deps.db, viewer))
	};
}

const refusal = (viewer: Viewer | null) =>
	new ServiceError(
		'UNAUTHORIZED',
		viewer ? 'this account may no longer listen' : 'public listening is off: sign in to listen'
	);

/**
 * Opens one listener's stream: `deliver` gets every new call the viewer may hear and has not
 * turned off in the scanner, in id order, with no gap and no duplicate — first those missed
 * since `lastEventId` (the newest REPLAY_LIMIT stored within REPLAY_WINDOW_MS), then live.
 *
 * Delivery is synchronous, straight from the process's one call feed (resumable.ts): a live call
 * reaches every listener in one pass (the WebSocket side writes a ready frame; a listener that
 * cannot keep up is cut off there as a slow consumer).
 *
 * Access is not fixed at the start: whenever `access.changed` concerns this viewer (their own
 * grants, role or selection, or a global change: public listening, systems, talkgroups), live
 * calls are held back while access is read again and then judged by the new answer; a viewer
 * who may no longer listen at all gets `onEnd(UNAUTHORIZED)` and nothing more.
 * While open, the listener counts as present under `presenceKey`.
 */
export async function openCallStream(
	deps: CallStreamDeps,
	viewer: Viewer | null,
	opts: CallStreamOptions
): Promise<CallStream> {
	let ended = false;
	// Changes announced from here until the stream is ready are re-read once it is: watched
	// before the first read, since a change announced while that read is in flight may not be in
	// its answer.
	let changedEarly = false;
	let reread: () => void = () => (changedEarly = true);
	const stopWatching = deps.bus.subscribe('access.changed', ({ userId }) => {
		if (userId === null || userId === viewer?.userId) reread();
	});

	// Opening may use the held answer; a change (above) always reads again.
	const userKey = viewer?.userId ?? ANONYMOUS;
	let current: Hearing | null;
	try {
		current = deps.hearingView
			? await deps.hearingView.through(userKey, userKey, () => hearing(deps, viewer))
			: await hearing(deps, viewer);
	} catch (err) {
		stopWatching();
		throw err;
	}
	if (!current) {
		stopWatching();
		throw refusal(viewer);
	}
	const hears = (c: LiveCall) =>
		current !== null &&
		current.audiences.includes(c.audience) &&
		canHear(current.scope, c.systemId, c.talkgroupId) &&
		// No key string built per listener and call when nothing is muted (the usual case).
		(current.muted.size === 0 ||
			!current.muted.has(mutedKey(c.call.system.id, c.call.talkgroup.id)));

	let stream: Resumed;
	try {
		const audiences = current.audiences;
		// The feed runs on publication seq; the tracked id the client resumes from is a call id.
		stream = await resume<LiveCall>({
			feed: deps.feeds.calls,
			idOf: (c) => c.seq,
			accept: hears,
			lastEventId: opts.lastEventId,
			replay: async (callId, upToSeq) =>
				missedCalls(
					deps,
					audiences,
					opts.lastSeq ?? (await resumeSeq(deps, callId, audiences)),
					upToSeq
				),
			deliver: opts.deliver
		});
	} catch (err) {
		stopWatching();
		throw err;
	}
	deps.presence.connected(opts.presenceKey);

	const close = () => {
		if (ended) return;
		ended = true;
		stopWatching();
		stream.close();
		deps.presence.disconnected(opts.presenceKey);
	};
	let generation = 0;
	let rereads: Promise<unknown> = Promise.resolve();
	reread = () => {
		if (ended) return;
		const mine = ++generation;
		const release = stream.hold();
		const read = hearing(deps, viewer).then(
			(next) => {
				// An older read finishing after a newer one must not win.
				if (mine === generation) current = next;
				if (mine === generation && !next) {
					close();
					opts.onEnd(refusal(viewer));
				}
				release();
			},
			(err) => {
				// Fail closed: a listener whose access cannot be read hears nothing more.
				close();
				opts.onEnd(err);
			}
		);
		rereads = Promise.all([rereads, read]);
	};
	if (changedEarly) reread();
	return { close, settled: async () => void (await rereads) };
}

/** A live.calls `lastEventId`: a call id, or `<callId>:<seq>` (a transcript update). */
export function parseCallEventId(raw: string | null | undefined): {
	lastEventId: number | null;
	lastSeq: number | null;
} {
	const match = raw ? /^(\d{1,15})(?::(\d{1,15}))?$/.exec(raw) : null;
	if (!match) return { lastEventId: null, lastSeq: null };
	return { lastEventId: Number(match[1]), lastSeq: match[2] ? Number(match[2]) : null };
}

/** Publications an audience receives: its own, and those for everyone. */
function audiencesFor(audience: 'exempt' | 'public'): readonly Audience[] {
	return audience === 'exempt' ? EXEMPT_AUDIENCES : PUBLIC_AUDIENCES;
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
	audiences: readonly Audience[]
): Promise<number> {
	const rows = await deps.db
		.selectFrom('call_publications')
		.select(['seq', 'audience'])
		.where('call_id', '=', callId)
		.where('kind', '=', 'call')
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
	audiences: readonly Audience[],
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

import type { DB } from '../core/db';
import { toAdminEvent, type AdminEvent } from '../core/event-log';
import type { LiveFeeds } from './feeds';
import { resumable } from './resumable';

/** A resuming admin gets at most this many missed events; a new subscriber the latest few. */
export const EVENT_REPLAY_LIMIT = 500;
export const EVENT_BACKLOG = 50;

async function newestEvents(
	db: DB,
	afterId: number,
	upToId: number,
	limit: number
): Promise<AdminEvent[]> {
	const rows = await db
		.selectFrom('events')
		.selectAll()
		.where('id', '>', afterId)
		.where('id', '<=', upToId)
		.orderBy('id', 'desc')
		.limit(limit)
		.execute();
	return rows.reverse().map(toAdminEvent);
}

/**
 * The persisted admin event log, in id order: with `lastEventId`, what was missed since (the
 * newest EVENT_REPLAY_LIMIT); without, the latest EVENT_BACKLOG events; then live.
 */
export function streamAdminEvents(
	deps: { db: DB; feeds: LiveFeeds },
	opts: { lastEventId: number | null; signal?: AbortSignal }
): AsyncGenerator<AdminEvent, void, undefined> {
	return resumable({
		feed: deps.feeds.events,
		idOf: (event) => event.id,
		accept: () => true,
		lastEventId: opts.lastEventId,
		signal: opts.signal,
		replay: (afterId, upToId) => newestEvents(deps.db, afterId, upToId, EVENT_REPLAY_LIMIT),
		initial: (upToId) => newestEvents(deps.db, 0, upToId, EVENT_BACKLOG)
	});
}

import { sql } from 'kysely';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { OrderedFeed } from '../live/ordered-feed';
import { resumable } from '../live/resumable';
import type { AlertPayload } from './decide';

/** An alert as alerts.live and alerts.recent send it. */
export interface Alert extends AlertPayload {
	id: number;
	userId: number;
	/** When it was decided, epoch ms. */
	at: number;
}

/** A resuming tab gets at most this many missed alerts; a new one the latest few. */
export const ALERT_REPLAY_LIMIT = 100;
export const ALERT_BACKLOG = 20;

type AlertRow = { id: number; user_id: number; at: number; data: string };

function toAlert(row: AlertRow): Alert {
	return { ...(JSON.parse(row.data) as AlertPayload), id: row.id, userId: row.user_id, at: row.at };
}

const selectAlerts = (db: DB) => db.selectFrom('alerts').select(['id', 'user_id', 'at', 'data']);

/** The user's alerts in (afterId, upToId], the newest `limit`, oldest first. */
export async function recentAlerts(
	db: DB,
	userId: number,
	opts: { afterId?: number; upToId?: number; limit: number }
): Promise<Alert[]> {
	let q = selectAlerts(db).where('user_id', '=', userId);
	if (opts.afterId !== undefined) q = q.where('id', '>', opts.afterId);
	if (opts.upToId !== undefined) q = q.where('id', '<=', opts.upToId);
	const rows = await q.orderBy('id', 'desc').limit(opts.limit).execute();
	return rows.reverse().map(toAlert);
}

// One feed per bus (per process), like live/feeds.ts: the table is read once for every tab.
const feeds = new WeakMap<Bus, OrderedFeed<Alert>>();

function alertFeed(deps: { db: DB; bus: Bus }): OrderedFeed<Alert> {
	let feed = feeds.get(deps.bus);
	if (!feed) {
		feed = new OrderedFeed<Alert>(
			{
				async maxId() {
					const row = await deps.db
						.selectFrom('alerts')
						.select(sql<number | null>`max(id)`.as('max'))
						.executeTakeFirst();
					return row?.max ?? 0;
				},
				async after(id, limit) {
					const rows = await selectAlerts(deps.db)
						.where('id', '>', id)
						.orderBy('id')
						.limit(limit)
						.execute();
					return rows.map(toAlert);
				},
				idOf: (a) => a.id
			},
			(wake) => deps.bus.subscribe('alert.raised', wake)
		);
		feeds.set(deps.bus, feed);
	}
	return feed;
}

/** One user's alerts: what was missed since `lastEventId` (or the latest few), then live. */
export function streamAlerts(
	deps: { db: DB; bus: Bus },
	userId: number,
	opts: { lastEventId: number | null; signal?: AbortSignal }
): AsyncGenerator<Alert, void, undefined> {
	return resumable({
		feed: alertFeed(deps),
		idOf: (a) => a.id,
		accept: (a) => a.userId === userId,
		lastEventId: opts.lastEventId,
		signal: opts.signal,
		replay: (afterId, upToId) =>
			recentAlerts(deps.db, userId, { afterId, upToId, limit: ALERT_REPLAY_LIMIT }),
		initial: (upToId) => recentAlerts(deps.db, userId, { upToId, limit: ALERT_BACKLOG })
	});
}

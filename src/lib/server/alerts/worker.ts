import { sql } from 'kysely';
import type { DB } from '../core/db';
import { decideAlerts, type DecideDeps } from './decide';

/** Calls decided per database read; the worker loops until it has caught up. */
const BATCH = 100;

async function cursorOf(db: DB): Promise<number> {
	const row = await db.selectFrom('alert_cursor').select('call_id').executeTakeFirst();
	if (row) return row.call_id;
	// First start: begin after the archive, so old calls raise nothing.
	const max = await db
		.selectFrom('calls')
		.select(sql<number | null>`max(id)`.as('max'))
		.executeTakeFirst();
	const start = max?.max ?? 0;
	await db
		.insertInto('alert_cursor')
		.values({ id: 1, call_id: start })
		.onConflict((oc) => oc.column('id').doNothing())
		.execute();
	return start;
}

/**
 * Decides alerts for every stored call, in id order, after it was published to live listeners
 * (it wakes on `call.ingested`). The cursor moves in the transaction that writes the alerts, so
 * a restart carries on where it stopped. Returns the stop function (for services.onShutdown).
 */
export function startAlertDecisions(
	deps: DecideDeps
): (() => Promise<void>) & { ready: Promise<unknown> } {
	let running: Promise<void> | null = null;
	let again = false;
	let stopped = false;

	async function drain() {
		do {
			again = false;
			let cursor = await cursorOf(deps.db);
			for (;;) {
				if (stopped) return;
				const rows = await deps.db
					.selectFrom('calls')
					.select('id')
					.where('id', '>', cursor)
					.orderBy('id')
					.limit(BATCH)
					.execute();
				for (const { id } of rows) {
					if (stopped) return;
					await decideAlerts(deps, id);
					cursor = id;
				}
				if (rows.length < BATCH) break;
			}
		} while (again && !stopped);
	}

	const wake = () => {
		if (running) {
			again = true;
			return;
		}
		running = drain()
			.catch((err) =>
				console.error('Squelch: alert decision failed:', err instanceof Error ? err.message : err)
			)
			.finally(() => {
				running = null;
				if (again && !stopped) wake();
			});
	};
	const unsubscribe = deps.bus.subscribe('call.ingested', wake);
	// The first start's cursor is fixed before any wake, so no new call counts as archive.
	const ready = cursorOf(deps.db).then(wake);
	const stop = async () => {
		stopped = true;
		unsubscribe();
		await ready.catch(() => {});
		await running;
	};
	return Object.assign(stop, { ready });
}

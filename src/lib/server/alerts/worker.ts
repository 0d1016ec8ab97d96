import { sql } from 'kysely';
import type { DB } from '../core/db';
import { claimThrough, decideCalls, type DecideDeps } from './decide';
import { callFactsAfter } from './facts';
import { dropRuleIndex, ruleIndex } from './rules';

/** Calls decided per database read; the worker loops until it has caught up. */
const BATCH = 200;
/**
 * The shared cursor moves past calls that raised nothing at most this often (a write per stored
 * call would compete with ingest). Calls that raise alerts move it at once, in their own
 * transaction; after a restart the calls in between are decided again, raising nothing again.
 */
const SAVE_EVERY_MS = 1000;

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
 * While no rule exists, calls are not decided at all (and the cursor stays). When rules appear,
 * the cursor first skips what was stored meanwhile: those calls came before any rule.
 */
async function skipToLatest(db: DB): Promise<void> {
	await cursorOf(db);
	const latest = sql<number>`(select coalesce(max(id), 0) from calls)`;
	await db
		.updateTable('alert_cursor')
		.set({ call_id: latest })
		.where('id', '=', 1)
		.where('call_id', '<', latest)
		.execute();
}

/**
 * Decides alerts for every stored call, in id order, after it was published to live listeners
 * (it wakes on `call.ingested`). With no rules on the server a stored call costs nothing. The
 * cursor moves with the alerts it decided, so a restart carries on where it stopped. Returns the
 * stop function (for services.onShutdown).
 */
export function startAlertDecisions(
	deps: DecideDeps
): (() => Promise<void>) & { ready: Promise<unknown> } {
	let running: Promise<void> | null = null;
	let again = false;
	let stopped = false;
	let hadRules: boolean | null = null;
	/** Where this worker has decided up to; null: read the shared cursor. */
	let position: number | null = null;
	let savedAt = -Infinity;
	let saveTimer: ReturnType<typeof setTimeout> | null = null;

	async function save() {
		if (position === null) return;
		savedAt = deps.clock.now();
		await claimThrough(deps.db, position);
	}

	/** Persists the position now if it has not been for a while, else a little later. */
	function saveSoon() {
		if (saveTimer) return;
		const wait = Math.min(SAVE_EVERY_MS, Math.max(0, savedAt + SAVE_EVERY_MS - deps.clock.now()));
		saveTimer = setTimeout(() => {
			saveTimer = null;
			save().catch((err) =>
				console.error(
					'Squelch: saving the alert cursor failed:',
					err instanceof Error ? err.message : err
				)
			);
		}, wait);
		saveTimer.unref?.();
	}

	async function drain() {
		do {
			again = false;
			const index = await ruleIndex(deps.db);
			const hasRules = index.size > 0;
			if (hasRules && hadRules === false) {
				await skipToLatest(deps.db);
				position = null;
			}
			hadRules = hasRules;
			if (!hasRules) return;
			let cursor = position ?? (await cursorOf(deps.db));
			for (;;) {
				if (stopped) return;
				const calls = await callFactsAfter(deps.db, cursor, BATCH);
				if (!calls.length) break;
				await decideCalls(deps, calls);
				cursor = position = calls[calls.length - 1].callId;
				if (calls.length < BATCH) break;
			}
			saveSoon();
		} while (again && !stopped);
	}

	const wake = () => {
		if (stopped) return;
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
	const offCalls = deps.bus.subscribe('call.ingested', wake);
	// Another instance (or this one) changed rules: rebuild the index on the next wake.
	const offRules = deps.bus.subscribe('alert.rules.changed', () => {
		dropRuleIndex(deps.db);
		wake();
	});
	// The first start's cursor is fixed before any wake, so no new call counts as archive.
	const ready = cursorOf(deps.db).then(wake);
	const stop = async () => {
		stopped = true;
		offCalls();
		offRules();
		await ready.catch(() => {});
		await running;
		if (saveTimer) clearTimeout(saveTimer);
		await save();
	};
	return Object.assign(stop, { ready });
}

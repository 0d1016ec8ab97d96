import { decideCalls, type DecideDeps } from './decide';
import { claimThrough, cursorOf, skipToLatest } from './cursor';
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

/**
 * Decides alerts for every stored call, in id order, after it was published to live listeners
 * (it wakes on `call.ingested`). With no rules on the server a stored call costs nothing. The
 * cursor moves with the alerts it decided, so a restart carries on where it stopped.
 *
 * A worker that has not started a decision for `alertBatchMs` decides a new call at once; under
 * load a decision starts at most that often, over every call stored since, so its fixed cost
 * (the read, the transaction, the owners' grants and the flood-limit rows) is shared by the
 * calls of a batch rather than paid per call (docs/performance.md). The first rule on a server
 * is acted on at once. Returns the stop function (for services.onShutdown), with `ready`: the
 * cursor is read and the first decision pass is over.
 */
export function startAlertDecisions(
	deps: DecideDeps & { config: { alertBatchMs: number } }
): (() => Promise<void>) & { ready: Promise<unknown> } {
	let running: Promise<void> | null = null;
	/** A wake came while deciding: go again (`now`: without waiting out the batch interval). */
	let again: 'soon' | 'now' | null = null;
	let stopped = false;
	let hadRules: boolean | null = null;
	/** Where this worker has decided up to; null: read the shared cursor. */
	let position: number | null = null;
	let savedAt = -Infinity;
	let saveTimer: ReturnType<typeof setTimeout> | null = null;
	let startedAt = -Infinity;
	let batchTimer: ReturnType<typeof setTimeout> | null = null;

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
	}

	function run() {
		if (batchTimer) clearTimeout(batchTimer);
		batchTimer = null;
		startedAt = deps.clock.now();
		running = drain()
			.catch((err) =>
				console.error('Squelch: alert decision failed:', err instanceof Error ? err.message : err)
			)
			.finally(() => {
				running = null;
				const next = again;
				again = null;
				if (next && !stopped) wake(next);
			});
	}

	function wake(when: 'soon' | 'now' = 'soon') {
		if (stopped) return;
		if (running) {
			if (again !== 'now') again = when;
			return;
		}
		const wait = startedAt + deps.config.alertBatchMs - deps.clock.now();
		if (when === 'now' || wait <= 0 || wait > deps.config.alertBatchMs) return run();
		batchTimer ??= setTimeout(run, wait);
	}

	const offCalls = deps.bus.subscribe('call.ingested', () => wake());
	// Another instance (or this one) changed rules: the index is rebuilt when the next call is
	// decided (a thousand rule edits in a row cost one rebuild). While there were no rules, decide
	// at once: the first rule must not count the calls stored after it as archive.
	const offRules = deps.bus.subscribe('alert.rules.changed', () => {
		dropRuleIndex(deps.db);
		if (hadRules !== true) wake('now');
	});
	// The first start's cursor is fixed before any wake, so no new call counts as archive.
	// `ready`: once the first decision pass is over (specs count statements from there).
	const ready = cursorOf(deps.db).then(() => {
		wake('now');
		return running;
	});
	const stop = async () => {
		stopped = true;
		offCalls();
		offRules();
		if (batchTimer) clearTimeout(batchTimer);
		await ready.catch(() => {});
		await running;
		if (saveTimer) clearTimeout(saveTimer);
		await save();
	};
	return Object.assign(stop, { ready });
}

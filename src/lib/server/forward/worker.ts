import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { forUpdate } from '../core/db/dialect';
import { recordEvent } from '../core/event-log';
import {
	claimHeads,
	enqueue,
	markDone,
	markFailed,
	pruneOutbox,
	release,
	startOutboxWorker,
	type OutboxItem,
	type RetryPolicy
} from '../core/outbox';
import { FORWARD_KIND, laneOf } from './targets';
import { sendCall } from './send';

export interface ForwardDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	/** Claims rows under this name, so another instance on the same database skips them. */
	instanceId: string;
	config: {
		recordingsDir: string;
		forwardMaxAgeSec: number;
		forwardRetryMaxSec: number;
		claimLeaseMs: number;
	};
}

const BATCH = 500;

/**
 * Queues every call stored since each target's high-water mark (so a call stored just before a
 * crash is still queued at the next start), in id order, filtered by the target's systems and
 * talkgroups. The mark and the rows move in one transaction.
 */
export async function queueNewCalls(
	deps: Pick<ForwardDeps, 'db' | 'clock'>
): Promise<{ queued: number; targets: number }> {
	const targets = await deps.db
		.selectFrom('forward_targets')
		.selectAll()
		.where('enabled', '=', 1)
		.execute();
	let queued = 0;
	for (const t of targets) {
		const systems = t.systems ? new Set(JSON.parse(t.systems) as number[]) : null;
		const talkgroups = t.talkgroups ? new Set(JSON.parse(t.talkgroups) as number[]) : null;
		await deps.db.transaction().execute(async (trx) => {
			// Holds the target row: a concurrent delete waits, and a deleted target queues nothing.
			const held = await forUpdate(
				trx,
				trx.selectFrom('forward_targets').select('queued_through').where('id', '=', t.id)
			).executeTakeFirst();
			if (!held) return;
			const calls = await trx
				.selectFrom('calls')
				.innerJoin('systems', 'systems.id', 'calls.system_id')
				.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
				.select(['calls.id', 'systems.system_ref', 'talkgroups.talkgroup_ref'])
				.where('calls.id', '>', held.queued_through)
				.orderBy('calls.id')
				.limit(BATCH)
				.execute();
			if (!calls.length) return;
			for (const c of calls) {
				if (systems && !systems.has(c.system_ref)) continue;
				if (talkgroups && !talkgroups.has(c.talkgroup_ref)) continue;
				const added = await enqueue(trx, deps.clock, {
					kind: FORWARD_KIND,
					lane: laneOf(t.id),
					ref: `${t.id}:${c.id}`,
					payload: { targetId: t.id, callId: c.id }
				});
				if (added) queued++;
			}
			await trx
				.updateTable('forward_targets')
				.set({ queued_through: calls[calls.length - 1].id })
				.where('id', '=', t.id)
				.execute();
		});
	}
	return { queued, targets: targets.length };
}

/**
 * One pass: queue new calls, then send each target's oldest pending call until none is due.
 * Returns how many targets are enabled.
 */
export async function forwardPass(deps: ForwardDeps): Promise<number> {
	let pass = await queueNewCalls(deps);
	while (pass.queued > 0) pass = await queueNewCalls(deps);
	const policy: RetryPolicy = {
		baseDelayMs: 1000,
		maxDelayMs: deps.config.forwardRetryMaxSec * 1000,
		maxAgeMs: deps.config.forwardMaxAgeSec * 1000
	};
	for (let round = 0; round < 10_000; round++) {
		const heads = await claimHeads(deps.db, deps.clock, FORWARD_KIND, {
			instanceId: deps.instanceId,
			leaseMs: deps.config.claimLeaseMs
		});
		if (!heads.length) break;
		// Targets are independent: one that is down (and waits on its timeout) holds up no other.
		await Promise.all(heads.map((item) => forwardOne(deps, item, policy)));
	}
	return pass.targets;
}

async function forwardOne(deps: ForwardDeps, item: OutboxItem, policy: RetryPolicy) {
	const { targetId, callId } = item.payload as { targetId: number; callId: number };
	const target = await deps.db
		.selectFrom('forward_targets')
		.selectAll()
		.where('id', '=', targetId)
		.executeTakeFirst();
	if (!target || target.enabled !== 1) {
		// Disabled: the lane waits (kept, not failed) until the target is on again.
		await release(deps.db, item.id, deps.clock.now() + 60_000);
		return;
	}
	const outcome = await sendCall(deps.db, deps.config.recordingsDir, target, callId);
	const now = deps.clock.now();
	if (outcome.ok) {
		await markDone(deps.db, deps.clock, item.id);
		await deps.db
			.updateTable('forward_targets')
			.set({ last_success_at: now, last_error: null, last_error_at: null })
			.where('id', '=', targetId)
			.execute();
		if (target.last_error !== null)
			await recordEvent(deps, 'forward.recovered', { targetId, target: target.name });
		return;
	}
	const { gaveUp } = outcome.final
		? { gaveUp: true }
		: await markFailed(deps.db, deps.clock, item, outcome.error, policy);
	if (outcome.final)
		await deps.db
			.updateTable('outbox')
			.set({ gave_up_at: now, last_error: outcome.error, claimed_by: null, claimed_until: null })
			.where('id', '=', item.id)
			.execute();
	await deps.db
		.updateTable('forward_targets')
		.set({ last_error: outcome.error, last_error_at: now })
		.where('id', '=', targetId)
		.execute();
	// The log gets each new error text once, not one line per retry.
	if (target.last_error !== outcome.error)
		await recordEvent(deps, 'forward.failed', {
			targetId,
			target: target.name,
			error: outcome.error,
			callId
		});
	if (gaveUp)
		await recordEvent(deps, 'forward.gaveup', {
			targetId,
			target: target.name,
			callId,
			error: outcome.error
		});
}

const PRUNE_EVERY_MS = 10 * 60_000;
const KEEP_DONE_MS = 7 * 86_400_000;

/** Starts forwarding: a pass now, on every stored call, and every few seconds; returns stop. */
export function startForwarding(deps: ForwardDeps, intervalMs = 2000): () => Promise<void> {
	let prunedAt = -Infinity;
	// With no target, a stored call wakes nothing: the timer notices a new target within intervalMs.
	let targets = 0;
	const worker = startOutboxWorker(async () => {
		targets = await forwardPass(deps);
		// Pruning deletes rows: a write that would compete with ingest on every stored call.
		if (deps.clock.now() - prunedAt < PRUNE_EVERY_MS) return;
		prunedAt = deps.clock.now();
		await pruneOutbox(deps.db, deps.clock, KEEP_DONE_MS);
	}, intervalMs);
	const unsubscribe = deps.bus.subscribe('call.ingested', () => {
		if (targets > 0) worker.wake();
	});
	return async () => {
		unsubscribe();
		await worker.stop();
	};
}

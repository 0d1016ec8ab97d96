import webpush, { WebPushError } from 'web-push';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { getSettings } from '../core/settings';
import { recordEvent } from '../core/event-log';
import {
	claimDue,
	dueHeads,
	enqueue,
	markDone,
	markDropped,
	markFailed,
	startOutboxWorker,
	type OutboxItem,
	type RetryPolicy
} from '../core/outbox';
import type { VapidKeys } from './push';

/** Pushes are rows of the generic outbox (core/outbox.ts), one lane per device. */
export const PUSH_KIND = 'push';
const laneOf = (subscriptionId: number) => `push:${subscriptionId}`;

/** Sends given up after this many tries (about an hour of backoff). */
export const MAX_ATTEMPTS = 8;
/** How long a push service keeps an undelivered alert: older ones are no longer news. */
export const PUSH_TTL_SEC = 3_600;
const POLICY: RetryPolicy = {
	baseDelayMs: 5_000,
	maxDelayMs: 3_600_000,
	maxAgeMs: PUSH_TTL_SEC * 1000
};
/** A claimed push not finished within this long (the process died) is tried again. */
const CLAIM_MS = 60_000;
const SEND_TIMEOUT_MS = 10_000;
const BATCH = 50;

interface PushRef {
	alertId: number;
	subscriptionId: number;
}

/** Users per statement (one bound value each). */
const USERS_PER_READ = 500;

/** One outbox row per new alert and device of its user whose session is still active. */
export async function enqueuePushes(
	db: DB,
	clock: Clock,
	alerts: Array<{ id: number; user_id: number }>
) {
	const now = clock.now();
	const users = [...new Set(alerts.map((a) => a.user_id))];
	const devices = new Map<number, number[]>();
	for (let i = 0; i < users.length; i += USERS_PER_READ) {
		const subs = await db
			.selectFrom('push_subscriptions')
			.innerJoin('sessions', 'sessions.id', 'push_subscriptions.session_id')
			.select(['push_subscriptions.id', 'push_subscriptions.user_id'])
			.where('push_subscriptions.user_id', 'in', users.slice(i, i + USERS_PER_READ))
			.where('sessions.revoked_at', 'is', null)
			.where('sessions.expires_at', '>', now)
			.orderBy('push_subscriptions.id')
			.execute();
		for (const s of subs) devices.set(s.user_id, [...(devices.get(s.user_id) ?? []), s.id]);
	}
	for (const alert of alerts)
		for (const subscriptionId of devices.get(alert.user_id) ?? []) {
			const payload: PushRef = { alertId: alert.id, subscriptionId };
			await enqueue(db, clock, {
				kind: PUSH_KIND,
				lane: laneOf(subscriptionId),
				ref: `${alert.id}:${subscriptionId}`,
				payload
			});
		}
}

export interface PushWorkerDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	vapid: VapidKeys;
	/** VAPID `sub`: the operator's origin or a mailto. */
	subject: string;
	/** Sends one push; web-push by default (tests on the unit level pass their own). */
	send?: typeof webpush.sendNotification;
}

type Outcome = { kind: 'sent' } | { kind: 'gone' } | { kind: 'retry'; afterMs: number | null };

function outcomeOf(err: unknown): Outcome {
	if (err instanceof WebPushError) {
		if (err.statusCode === 404 || err.statusCode === 410) return { kind: 'gone' };
		const retryAfter = Number(err.headers?.['retry-after']);
		if (err.statusCode === 429 && Number.isFinite(retryAfter) && retryAfter >= 0)
			return { kind: 'retry', afterMs: Math.min(retryAfter * 1000, POLICY.maxDelayMs) };
	}
	return { kind: 'retry', afterMs: null };
}

/** The alert and the device of a queued push, or null when either is gone or signed out. */
async function target(db: DB, ref: PushRef, now: number) {
	const row = await db
		.selectFrom('push_subscriptions')
		.innerJoin('sessions', 'sessions.id', 'push_subscriptions.session_id')
		.innerJoin('alerts', (j) => j.on('alerts.id', '=', ref.alertId))
		.select([
			'alerts.data',
			'alerts.user_id',
			'push_subscriptions.endpoint',
			'push_subscriptions.p256dh',
			'push_subscriptions.auth',
			'sessions.revoked_at',
			'sessions.expires_at'
		])
		.where('push_subscriptions.id', '=', ref.subscriptionId)
		.executeTakeFirst();
	if (!row || row.revoked_at !== null || row.expires_at <= now) return null;
	return row;
}

/** Sends one queued push and records its outcome; a row another worker claimed is skipped. */
async function pushOne(deps: PushWorkerDeps, item: OutboxItem) {
	const ref = item.payload as PushRef;
	const to = await target(deps.db, ref, deps.clock.now());
	// Devices signed out (or unsubscribed) since the decision get nothing.
	if (!to) return markDropped(deps.db, deps.clock, item.id, 'device gone');
	if (!(await claimDue(deps.db, deps.clock, item.id, CLAIM_MS))) return;
	let outcome: Outcome;
	let status: number | null = null;
	try {
		await (deps.send ?? webpush.sendNotification)(
			{ endpoint: to.endpoint, keys: { p256dh: to.p256dh, auth: to.auth } },
			to.data,
			{
				TTL: PUSH_TTL_SEC,
				urgency: 'high',
				vapidDetails: {
					subject: deps.subject,
					publicKey: deps.vapid.publicKey,
					privateKey: deps.vapid.privateKey
				},
				timeout: SEND_TIMEOUT_MS
			}
		);
		outcome = { kind: 'sent' };
	} catch (err) {
		outcome = outcomeOf(err);
		status = err instanceof WebPushError ? err.statusCode : null;
	}
	if (outcome.kind === 'sent') return markDone(deps.db, deps.clock, item.id);
	const userId = to.user_id;
	if (outcome.kind === 'gone') {
		// The browser unsubscribed: the device is gone, and its queued pushes with it.
		await deps.db.deleteFrom('push_subscriptions').where('id', '=', ref.subscriptionId).execute();
		await deps.db
			.updateTable('outbox')
			.set({ gave_up_at: deps.clock.now(), last_error: `push service answered ${status}` })
			.where('kind', '=', PUSH_KIND)
			.where('lane', '=', laneOf(ref.subscriptionId))
			.where('done_at', 'is', null)
			.where('gave_up_at', 'is', null)
			.execute();
		return recordEvent(deps, 'alert.push_failed', { userId, status, removed: true });
	}
	const error = status === null ? 'push service unreachable' : `push service answered ${status}`;
	if (item.attempts + 1 >= MAX_ATTEMPTS) {
		await markDropped(deps.db, deps.clock, item.id, error);
		return recordEvent(deps, 'alert.push_failed', { userId, status, gaveUp: true });
	}
	const { gaveUp } = await markFailed(deps.db, deps.clock, item, error, POLICY);
	if (!gaveUp && outcome.afterMs !== null)
		await deps.db
			.updateTable('outbox')
			.set({ next_at: deps.clock.now() + outcome.afterMs })
			.where('id', '=', item.id)
			.execute();
	if (gaveUp) await recordEvent(deps, 'alert.push_failed', { userId, status, gaveUp: true });
	else if (item.attempts === 0)
		await recordEvent(deps, 'alert.push_failed', { userId, status, retrying: true });
}

/** With Web Push off server-wide, what is queued is dropped, not kept for later. */
async function dropAllPending(db: DB, clock: Clock) {
	await db
		.updateTable('outbox')
		.set({ gave_up_at: clock.now(), last_error: 'Web Push is off' })
		.where('kind', '=', PUSH_KIND)
		.where('done_at', 'is', null)
		.where('gave_up_at', 'is', null)
		.execute();
}

/**
 * Sends what the outbox holds, each device's pushes in order (a device answering 429 holds back
 * only its own), on every raised alert and every second for retries. Returns the stop function.
 */
export function startPushWorker(deps: PushWorkerDeps, intervalMs = 1000): () => Promise<void> {
	let stopped = false;
	const worker = startOutboxWorker(async () => {
		if (!(await getSettings(deps.db)).webPush) return dropAllPending(deps.db, deps.clock);
		for (let round = 0; round < 1000 && !stopped; round++) {
			const heads = await dueHeads(deps.db, deps.clock, PUSH_KIND, BATCH);
			if (!heads.length) return;
			for (const item of heads) {
				if (stopped) return;
				await pushOne(deps, item);
			}
		}
	}, intervalMs);
	const unsubscribe = deps.bus.subscribe('alert.raised', () => worker.wake());
	return async () => {
		stopped = true;
		unsubscribe();
		await worker.stop();
	};
}

import webpush, { WebPushError } from 'web-push';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { getSettings } from '../core/settings';
import { recordEvent } from '../core/event-log';
import type { VapidKeys } from './push';

/** Sends given up after this many tries (about an hour of backoff). */
export const MAX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 3_600_000;
/** How long a push service keeps an undelivered alert: older ones are no longer news. */
export const PUSH_TTL_SEC = 3_600;
const BATCH = 50;

/** One outbox row per device of the user whose session is still active. */
export async function enqueuePush(db: DB, alertId: number, userId: number, now: number) {
	const subs = await db
		.selectFrom('push_subscriptions')
		.innerJoin('sessions', 'sessions.id', 'push_subscriptions.session_id')
		.select('push_subscriptions.id')
		.where('push_subscriptions.user_id', '=', userId)
		.where('sessions.revoked_at', 'is', null)
		.where('sessions.expires_at', '>', now)
		.execute();
	if (subs.length === 0) return;
	await db
		.insertInto('push_outbox')
		.values(
			subs.map((s) => ({ alert_id: alertId, subscription_id: s.id, next_at: now, created_at: now }))
		)
		.execute();
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
	/** Rows are claimed under this name for claimLeaseMs: another instance skips them. */
	instanceId: string;
	claimLeaseMs: number;
}

type Outcome = { kind: 'sent' } | { kind: 'gone' } | { kind: 'retry'; afterMs: number | null };

function outcomeOf(err: unknown): Outcome {
	if (err instanceof WebPushError) {
		if (err.statusCode === 404 || err.statusCode === 410) return { kind: 'gone' };
		const retryAfter = Number(err.headers?.['retry-after']);
		if (err.statusCode === 429 && Number.isFinite(retryAfter) && retryAfter >= 0)
			return { kind: 'retry', afterMs: Math.min(retryAfter * 1000, MAX_BACKOFF_MS) };
	}
	return { kind: 'retry', afterMs: null };
}

/**
 * Sends what the outbox holds, due rows first, one at a time (a push is small; the service
 * answers fast). Rows of revoked or expired sessions are dropped unsent. Returns the stop
 * function (for services.onShutdown).
 */
export function startPushWorker(deps: PushWorkerDeps): () => Promise<void> {
	const send = deps.send ?? webpush.sendNotification;
	let stopped = false;
	let running: Promise<void> | null = null;
	let again = false;
	let timer: ReturnType<typeof setTimeout> | null = null;

	async function sendOne(row: {
		id: number;
		attempts: number;
		data: string;
		endpoint: string;
		p256dh: string;
		auth: string;
		user_id: number;
		subscription_id: number;
	}) {
		let outcome: Outcome;
		let status: number | null = null;
		try {
			await send(
				{ endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } },
				row.data,
				{
					TTL: PUSH_TTL_SEC,
					urgency: 'high',
					vapidDetails: {
						subject: deps.subject,
						publicKey: deps.vapid.publicKey,
						privateKey: deps.vapid.privateKey
					},
					timeout: 10_000
				}
			);
			outcome = { kind: 'sent' };
		} catch (err) {
			outcome = outcomeOf(err);
			status = err instanceof WebPushError ? err.statusCode : null;
		}
		const now = deps.clock.now();
		if (outcome.kind === 'sent') {
			await deps.db.deleteFrom('push_outbox').where('id', '=', row.id).execute();
		} else if (outcome.kind === 'gone') {
			// The browser unsubscribed: the device is gone (its queued pushes go with it).
			await deps.db
				.deleteFrom('push_subscriptions')
				.where('id', '=', row.subscription_id)
				.execute();
			await recordEvent(deps, 'alert.push_failed', {
				userId: row.user_id,
				status,
				removed: true
			});
		} else if (row.attempts + 1 >= MAX_ATTEMPTS) {
			await deps.db.deleteFrom('push_outbox').where('id', '=', row.id).execute();
			await recordEvent(deps, 'alert.push_failed', { userId: row.user_id, status, gaveUp: true });
		} else {
			const backoff = Math.min(BASE_BACKOFF_MS * 2 ** row.attempts, MAX_BACKOFF_MS);
			await deps.db
				.updateTable('push_outbox')
				.set({
					attempts: row.attempts + 1,
					next_at: now + (outcome.afterMs ?? backoff),
					claimed_by: null,
					claimed_until: null
				})
				.where('id', '=', row.id)
				.execute();
			if (row.attempts === 0)
				await recordEvent(deps, 'alert.push_failed', {
					userId: row.user_id,
					status,
					retrying: true
				});
		}
	}

	async function claim(id: number): Promise<boolean> {
		const now = deps.clock.now();
		const result = await deps.db
			.updateTable('push_outbox')
			.set({ claimed_by: deps.instanceId, claimed_until: now + deps.claimLeaseMs })
			.where('id', '=', id)
			.where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
			.executeTakeFirst();
		return Number(result.numUpdatedRows) > 0;
	}

	async function drain() {
		do {
			again = false;
			if (!(await getSettings(deps.db)).webPush) {
				await deps.db.deleteFrom('push_outbox').execute();
				return;
			}
			for (;;) {
				if (stopped) return;
				const now = deps.clock.now();
				// Devices signed out since the decision get nothing.
				await deps.db
					.deleteFrom('push_outbox')
					.where((eb) =>
						eb(
							'subscription_id',
							'in',
							eb
								.selectFrom('push_subscriptions')
								.innerJoin('sessions', 'sessions.id', 'push_subscriptions.session_id')
								.select('push_subscriptions.id')
								.where((w) =>
									w.or([
										w('sessions.revoked_at', 'is not', null),
										w('sessions.expires_at', '<=', now)
									])
								)
						)
					)
					.execute();
				const rows = await deps.db
					.selectFrom('push_outbox')
					.innerJoin('alerts', 'alerts.id', 'push_outbox.alert_id')
					.innerJoin('push_subscriptions', 'push_subscriptions.id', 'push_outbox.subscription_id')
					.select([
						'push_outbox.id',
						'push_outbox.attempts',
						'push_outbox.subscription_id',
						'alerts.data',
						'alerts.user_id',
						'push_subscriptions.endpoint',
						'push_subscriptions.p256dh',
						'push_subscriptions.auth'
					])
					.where('push_outbox.next_at', '<=', now)
					.where((eb) =>
						eb.or([
							eb('push_outbox.claimed_until', 'is', null),
							eb('push_outbox.claimed_until', '<', now)
						])
					)
					.orderBy('push_outbox.id')
					.limit(BATCH)
					.execute();
				for (const row of rows) {
					if (stopped) return;
					// Several instances: only the one whose conditional update wins sends it.
					if (await claim(row.id)) await sendOne(row);
				}
				if (rows.length < BATCH) break;
			}
		} while (again && !stopped);
		scheduleNext();
	}

	/** Wakes again when the earliest retry is due. */
	async function scheduleNext() {
		const next = await deps.db
			.selectFrom('push_outbox')
			.select((eb) => eb.fn.min<number>('next_at').as('at'))
			.executeTakeFirst();
		if (stopped || next?.at == null) return;
		if (timer) clearTimeout(timer);
		timer = setTimeout(wake, Math.max(0, Math.min(next.at - deps.clock.now(), MAX_BACKOFF_MS)));
		timer.unref?.();
	}

	function wake() {
		if (stopped) return;
		if (running) {
			again = true;
			return;
		}
		running = drain()
			.catch((err) =>
				console.error('Squelch: push delivery failed:', err instanceof Error ? err.message : err)
			)
			.finally(() => {
				running = null;
				if (again) wake();
			});
	}

	const unsubscribe = deps.bus.subscribe('alert.raised', wake);
	wake();
	return async () => {
		stopped = true;
		unsubscribe();
		if (timer) clearTimeout(timer);
		await running;
	};
}

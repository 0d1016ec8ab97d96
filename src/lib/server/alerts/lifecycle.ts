import type { DecideDeps } from './decide';
import { startAlertDecisions } from './worker';
import { startPushWorker } from './push-outbox';
import { dropSessionPush, loadVapidKeys } from './push';
import { dropRulesCache } from './rules';

/**
 * Start-up work for alerts: the decision worker (stored calls → alerts rows), the push worker
 * (outbox → push services), and dropping a device's push subscription when its session ends.
 */
export async function startAlerts(
	svc: DecideDeps & { instanceId: string; config: { origin: string | null; claimLeaseMs: number } }
): Promise<() => Promise<void>> {
	const vapid = await loadVapidKeys(svc.db, svc.clock);
	const offRevoked = svc.bus.subscribe('session.revoked', ({ sessionId }) => {
		dropSessionPush(svc.db, sessionId).catch((err) =>
			console.error('Squelch: dropping push subscription failed:', err)
		);
	});
	// Another instance changed a rule: decide the next call with the new set.
	const offRules = svc.bus.subscribe('alert.rules.changed', () => dropRulesCache(svc.db));
	const stopDecisions = startAlertDecisions(svc);
	const stopPush = startPushWorker({
		...svc,
		vapid,
		subject: svc.config.origin ?? 'mailto:squelch@localhost',
		claimLeaseMs: svc.config.claimLeaseMs
	});
	return async () => {
		offRevoked();
		offRules();
		await stopDecisions();
		await stopPush();
	};
}

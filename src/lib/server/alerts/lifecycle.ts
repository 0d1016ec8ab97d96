import type { DecideDeps } from './decide';
import { startAlertDecisions } from './worker';
import { startPushWorker } from './push-outbox';
import { dropSessionPush, loadVapidKeys } from './push';
import { watchTranscripts } from './transcript-alerts';

/**
 * Start-up work for alerts: the decision worker (stored calls → alerts rows), keyword rules as
 * transcripts arrive, the push worker
 * (outbox → push services), and dropping a device's push subscription when its session ends.
 */
export async function startAlerts(
	svc: DecideDeps & {
		instanceId: string;
		config: { origin: string | null; claimLeaseMs: number; alertBatchMs: number };
	}
): Promise<() => Promise<void>> {
	const vapid = await loadVapidKeys(svc.db, svc.clock);
	const offRevoked = svc.bus.subscribe('session.revoked', ({ sessionId }) => {
		dropSessionPush(svc.db, sessionId).catch((err) =>
			console.error('Squelch: dropping push subscription failed:', err)
		);
	});
	const stopDecisions = startAlertDecisions(svc);
	const stopKeywords = watchTranscripts(svc);
	const stopPush = startPushWorker({
		...svc,
		vapid,
		subject: svc.config.origin ?? 'mailto:squelch@localhost'
	});
	return async () => {
		offRevoked();
		await stopDecisions();
		await stopKeywords();
		await stopPush();
	};
}

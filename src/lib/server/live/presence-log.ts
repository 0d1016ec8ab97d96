import { recordEvent, type EventLogDeps } from '../core/event-log';
import type { Presence } from './presence';

export const PRESENCE_LOG_DELAY_MS = 2_000;

/**
 * Writes `listeners.changed { count }` to the admin event log when the listener count changes,
 * at most once per `delayMs` (tabs reconnecting after a token expiry do not flood the log), and
 * only when the count differs from the last one logged.
 */
export function logPresenceChanges(
	deps: EventLogDeps & { presence: Presence },
	delayMs = PRESENCE_LOG_DELAY_MS
): () => void {
	let logged = deps.presence.count();
	let timer: NodeJS.Timeout | null = null;
	const flush = () => {
		timer = null;
		const count = deps.presence.count();
		if (count === logged) return;
		logged = count;
		recordEvent(deps, 'listeners.changed', { count }).catch((err) =>
			console.error('could not log the listener count:', err)
		);
	};
	const off = deps.presence.onChange(() => {
		timer ??= setTimeout(flush, delayMs);
		timer.unref?.();
	});
	return () => {
		off();
		if (timer) clearTimeout(timer);
	};
}

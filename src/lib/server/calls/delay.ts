import type { Clock } from '../core/clock';
import { onClockChange } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import { nextDue, publishDue } from './publish';

/** The longest a timer is set for; a later due time is looked at again then. */
const MAX_SLEEP_MS = 60_000;

/**
 * Broadcast delay: publishes each delayed call to everyone when it is due. Due times live in the
 * calls table, so a restart loses nothing: the first pass runs at start and publishes whatever
 * fell due while the server was down. The next pass is set for the earliest due time; a new
 * delayed call (announced on `call.published`) or a clock jump (tests) re-arms it.
 * Returns the stop function.
 */
export function startDelayScheduler(deps: { db: DB; clock: Clock; bus: Bus }): {
	stop(): void;
	/** Runs a pass now (and re-arms); resolves when it is done. */
	tick(): Promise<void>;
} {
	let timer: NodeJS.Timeout | null = null;
	let running: Promise<void> | null = null;
	let again = false;
	let stopped = false;

	const pass = async () => {
		for (;;) {
			const published = await publishDue(deps.db, deps.clock.now());
			if (published) deps.bus.publish('call.published', { count: published });
			if (published < 1000) break;
		}
		const next = await nextDue(deps.db);
		if (timer) clearTimeout(timer);
		timer = null;
		if (next !== null && !stopped) {
			const wait = Math.min(MAX_SLEEP_MS, Math.max(0, next - deps.clock.now()));
			timer = setTimeout(() => void tick(), wait);
			timer.unref();
		}
	};
	const tick = async (): Promise<void> => {
		if (stopped) return;
		if (running) {
			again = true;
			return running;
		}
		running = (async () => {
			try {
				do {
					again = false;
					await pass();
				} while (again);
			} catch (err) {
				console.error(
					'Squelch: broadcast delay pass failed:',
					err instanceof Error ? err.message : err
				);
			} finally {
				running = null;
			}
		})();
		return running;
	};

	const offBus = deps.bus.subscribe('call.published', (p) => {
		if (p.delayed) void tick();
	});
	const offClock = onClockChange(deps.clock, tick);
	void tick();
	return {
		tick,
		stop() {
			stopped = true;
			offBus();
			offClock();
			if (timer) clearTimeout(timer);
		}
	};
}

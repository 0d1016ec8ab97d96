import type { Call } from './format';

/**
 * The catch-up rules, kept pure so the unit specs and the scanner agree on exactly which calls go.
 */

/** Splits a queue into calls still young enough to play and those older than `maxAgeMinutes`. */
export function splitByAge(
	queue: Call[],
	maxAgeMinutes: number | null,
	now: number
): { kept: Call[]; dropped: Call[] } {
	if (maxAgeMinutes === null) return { kept: queue, dropped: [] };
	const oldest = now - maxAgeMinutes * 60_000;
	const kept: Call[] = [];
	const dropped: Call[] = [];
	for (const call of queue) (call.dateTime.getTime() < oldest ? dropped : kept).push(call);
	return { kept, dropped };
}

/**
 * "Jump to live": the newest queued call plays now; every other queued call, and the one playing,
 * are skipped. Returns what the button says before it is pressed.
 */
export function jumpToLive(
	queue: Call[],
	current: Call | null
): { play: Call | null; skipped: number } {
	const play = queue.at(-1) ?? null;
	const skipped = Math.max(0, queue.length - 1) + (current && play ? 1 : 0);
	return { play, skipped };
}

/** The speed for the next call: the chosen one, or the catch-up speed while the queue is long. */
export function playbackRate(
	settings: { speed: number; autoSpeed: boolean; autoSpeedAbove: number; autoSpeedRate: number },
	queued: number
): number {
	if (settings.autoSpeed && queued > settings.autoSpeedAbove)
		return Math.max(settings.speed, settings.autoSpeedRate);
	return settings.speed;
}

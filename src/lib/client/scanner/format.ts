import type { Call } from '$lib/server/calls/dto';

export type { Call };

/** "851.0125 MHz", or an empty string when the recorder sent no frequency. */
export const mhz = (hz: number | null) => (hz ? `${(hz / 1e6).toFixed(4)} MHz` : '');

/** "0:07" */
export function duration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const clockTime = (d: Date) =>
	d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
export const dateTime = (d: Date) =>
	d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The unit heard: its alias, else its number. */
export const unitLabel = (call: Call) =>
	call.source ? call.source.alias || String(call.source.id) : '';

/** Talkgroups are keyed by their radio numbers: system and talkgroup. */
export const tgKey = (system: number, talkgroup: number) => `${system}:${talkgroup}`;
export const callKey = (call: Call) => tgKey(call.system.id, call.talkgroup.id);

export const tgTitle = (call: Call) => call.talkgroup.label || String(call.talkgroup.id);

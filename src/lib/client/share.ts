/** The share dialog's choices, as plain data so they can be checked without a browser. */

export const EXPIRY_CHOICES: Array<{ label: string; seconds: number | null }> = [
	{ label: '1 hour', seconds: 3600 },
	{ label: '1 day', seconds: 86_400 },
	{ label: '7 days', seconds: 7 * 86_400 },
	{ label: 'Never', seconds: null }
];

/** The choices an admin's cap allows (null cap: all of them). */
export function allowedExpiries(maxExpirySec: number | null) {
	if (maxExpirySec === null) return EXPIRY_CHOICES;
	return EXPIRY_CHOICES.filter((c) => c.seconds !== null && c.seconds <= maxExpirySec);
}

export const SPAN_CHOICES: Array<{ label: string; minutes: number }> = [
	{ label: 'This call', minutes: 0 },
	{ label: 'Its talkgroup, 15 minutes either side', minutes: 15 },
	{ label: 'Its talkgroup, 1 hour either side', minutes: 60 }
];

export interface Shareable {
	id: number;
	dateTime: Date;
	system: { id: number };
	talkgroup: { id: number };
}

/** share.create's input for a call, or for its talkgroup around it. */
export function shareInput(call: Shareable, minutes: number, expiresIn: number | null) {
	if (minutes === 0) return { callId: call.id, expiresIn };
	const at = call.dateTime.getTime();
	return {
		systems: [call.system.id],
		talkgroups: [call.talkgroup.id],
		from: new Date(at - minutes * 60_000),
		to: new Date(at + minutes * 60_000),
		expiresIn
	};
}

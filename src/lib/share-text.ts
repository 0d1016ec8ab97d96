/** Wording shared by the share page (server-rendered) and its error page. */

export type ShareRefusal = 'off' | 'unknown' | 'revoked' | 'expired';

export function shareMessage(reason: ShareRefusal): string {
	switch (reason) {
		case 'expired':
			return 'This share link has expired.';
		case 'revoked':
			return 'This share link was revoked by the person who shared it, or by an admin.';
		case 'off':
			return 'Sharing is turned off on this server.';
		default:
			return 'There is no share link at this address.';
	}
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2024-06-11 22:41:18 UTC": the same text on the server and in every browser. */
export function utcTime(ms: number): string {
	const d = new Date(ms);
	return (
		`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
		`${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`
	);
}

/** 75.4 → "1:15". */
export function clockDuration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

import { bearerToken } from '../trpc/context';
import { ACCESS_COOKIE, ACCESS_COOKIE_PATH } from '../auth/cookies';

/**
 * The access token a request carries, for hooks.server.ts and the production hot path alike:
 * the Bearer header on any path; the access cookie only where it is scoped (audio, under
 * ACCESS_COOKIE_PATH), as a browser would send it.
 */
export function requestToken(
	pathname: string,
	header: (name: string) => string | null
): string | null {
	const bearer = bearerToken(header('authorization'));
	if (bearer) return bearer;
	if (!pathname.startsWith(ACCESS_COOKIE_PATH)) return null;
	return cookieValue(header('cookie'), ACCESS_COOKIE) ?? null;
}

/**
 * One cookie from a Cookie header, read the way SvelteKit's `cookies.get` reads it (the `cookie`
 * package's parse): pairs split on `;`, names and values trimmed, the first pair of a name wins,
 * surrounding quotes dropped, percent-decoding when it is valid.
 */
export function cookieValue(header: string | null, name: string): string | undefined {
	if (!header) return undefined;
	let index = 0;
	while (index < header.length) {
		const eq = header.indexOf('=', index);
		if (eq === -1) return undefined;
		let end = header.indexOf(';', index);
		if (end === -1) end = header.length;
		else if (end < eq) {
			// A pair without `=`: start again after the last `;` before this `=`.
			index = header.lastIndexOf(';', eq - 1) + 1;
			continue;
		}
		if (header.slice(index, eq).trim() === name) {
			let value = header.slice(eq + 1, end).trim();
			if (value.charCodeAt(0) === 0x22) value = value.slice(1, -1);
			try {
				return value.includes('%') ? decodeURIComponent(value) : value;
			} catch {
				return value;
			}
		}
		index = end + 1;
	}
	return undefined;
}

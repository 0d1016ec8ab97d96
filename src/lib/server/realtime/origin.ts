import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * Whether a WebSocket upgrade may proceed, judged by its Origin: browsers always send one, so a
 * page on another site is refused; clients that send none (scripts, recorders) are not browsers
 * and carry their own credentials. The app's origin is ORIGIN when set. Without it, the request's
 * host stands in, but only when that cannot be a rebound name: an IP literal or localhost, or the
 * X-Forwarded-Host of a trusted proxy (which routes by name). A page on a DNS-rebinding name
 * (evil.example resolving to this server) sends a matching Origin and Host; it is refused, and a
 * server reached by its name needs ORIGIN (README, docs/security.md).
 */
export function originAllowed(
	req: IncomingMessage,
	cfg: { origin: string | null; trustProxy: boolean }
): boolean {
	const raw = req.headers.origin;
	if (raw === undefined) return true;
	let origin: URL;
	try {
		origin = new URL(raw);
	} catch {
		return false; // "null" (sandboxed frames, file://) and garbage
	}
	if (cfg.origin) return origin.origin === cfg.origin;
	const forwarded = cfg.trustProxy ? first(req.headers['x-forwarded-host']) : undefined;
	const host = forwarded || req.headers.host;
	if (!host) return false;
	let expected: URL;
	try {
		expected = new URL(`${origin.protocol}//${host}`);
	} catch {
		return false;
	}
	if (!forwarded && !unrebindable(expected.hostname)) return false;
	return expected.host === origin.host;
}

/** An address, or a name that always means this machine. */
function unrebindable(hostname: string): boolean {
	const bare = hostname.replace(/^\[(.*)\]$/, '$1');
	return isIP(bare) !== 0 || bare === 'localhost' || bare.endsWith('.localhost');
}

function first(value: string | string[] | undefined): string | undefined {
	const v = Array.isArray(value) ? value[0] : value;
	return v?.split(',')[0].trim() || undefined;
}

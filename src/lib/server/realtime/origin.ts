import type { IncomingMessage } from 'node:http';

/**
 * Whether a WebSocket upgrade may proceed, judged by its Origin: browsers always send one, so a
 * page on another site is refused; clients that send none (scripts, recorders) are not browsers
 * and carry their own credentials. The app's origin is ORIGIN when set, else the request's host
 * (X-Forwarded-Host when the proxy is trusted).
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
	try {
		return new URL(`${origin.protocol}//${host}`).host === origin.host;
	} catch {
		return false;
	}
}

function first(value: string | string[] | undefined): string | undefined {
	const v = Array.isArray(value) ? value[0] : value;
	return v?.split(',')[0].trim() || undefined;
}

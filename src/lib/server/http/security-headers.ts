/**
 * Sent on every reply: by hooks.server.ts for everything SvelteKit serves, and by the hot routes
 * (http/hot-routes.ts) for the audio and upload replies they write themselves.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
	['x-content-type-options', 'nosniff'],
	['referrer-policy', 'same-origin'],
	['x-frame-options', 'DENY'],
	['permissions-policy', 'camera=(), microphone=(), geolocation=()']
];

import type { RequestHandler } from './$types';
import { uploadEndpoint } from '$lib/server/http/kit-endpoints';

// Recorder uploads (docs/recorders.md); every method reaches the handler so a wrong one gets its 405 text.
// In production lib/server/http/hot-routes.ts answers these before Kit, with the same core.
export const fallback: RequestHandler = uploadEndpoint;

// A recorder URL with a trailing slash must not be redirected either (a 308 would lose uploads).
export const trailingSlash = 'ignore';

import type { RequestHandler } from './$types';
import { audioEndpoint } from '$lib/server/http/kit-endpoints';

// The viewer was resolved by hooks.server.ts from the bearer header or the access cookie. In
// production lib/server/http/hot-routes.ts answers GET and HEAD here before Kit, with the same core.
export const GET: RequestHandler = audioEndpoint;
export const HEAD: RequestHandler = audioEndpoint;

import type { RequestHandler } from './$types';
import { services } from '$lib/server/services';
import { serveAudio } from '$lib/server/calls/audio';

// The viewer was resolved by hooks.server.ts from the bearer header or the access cookie.
const handler: RequestHandler = async (event) =>
	serveAudio(await services(), { request: event.request, viewer: event.locals.viewer, id: event.params.id });

export const GET = handler;
export const HEAD = handler;

import type { RequestHandler } from './$types';
import { services } from '$lib/server/services';
import { handleUpload } from '$lib/server/calls/upload';

// Same protocol as /api/call-upload (older Trunk-Recorder builds post here).
export const fallback: RequestHandler = async (event) =>
	handleUpload(await services(), { request: event.request, url: event.url, ip: event.locals.clientIp });

// A recorder URL with a trailing slash must not be redirected either (a 308 would lose uploads).
export const trailingSlash = 'ignore';

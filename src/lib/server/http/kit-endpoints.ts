import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import type { RequestEvent } from '@sveltejs/kit';
import { serveAudio } from '../calls/audio';
import { handleUpload } from '../calls/upload';
import { runFollowUps, toWebResponse } from './reply';
import { serviceErrorReply } from './service-errors';

/**
 * The audio and upload endpoints as SvelteKit routes: the dev server's path, and production's for
 * any request the hot path (hot-routes.ts) leaves to Kit. The viewer and client IP come from
 * hooks.server.ts; the logic is the same core the hot path calls.
 */

export async function audioEndpoint(event: RequestEvent<{ id: string }>): Promise<Response> {
	const svc = event.locals.services;
	const { request } = event;
	try {
		const reply = await serveAudio(svc, {
			method: request.method,
			header: (name) => request.headers.get(name),
			viewer: event.locals.viewer,
			id: event.params.id
		});
		return toWebResponse(reply);
	} catch (err) {
		const refusal = serviceErrorReply(err);
		if (refusal) return toWebResponse(refusal);
		throw err;
	}
}

export async function uploadEndpoint(event: RequestEvent): Promise<Response> {
	const svc = event.locals.services;
	const { request } = event;
	const { reply, afterReply } = await handleUpload(svc, {
		method: request.method,
		header: (name) => request.headers.get(name),
		body: request.body ? Readable.fromWeb(request.body as NodeWebReadableStream) : null,
		query: event.url.searchParams,
		ip: event.locals.clientIp
	});
	// Kit writes the Response after this returns; the follow-ups wait a turn of the event loop
	// (not until the reply is flushed — only the hot path can see that).
	setImmediate(() => runFollowUps(afterReply, 'upload'));
	return toWebResponse(reply);
}

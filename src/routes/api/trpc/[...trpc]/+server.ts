import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import type { RequestHandler } from './$types';
import { appRouter } from '$lib/server/trpc/root';
import { createHttpContext } from '$lib/server/trpc/context';
import { checkHttpEnvelope } from '$lib/server/trpc/http-envelope';
import { services } from '$lib/server/app';

// adapter-node's body limit is lifted for recorder uploads (start.js), so tRPC gets its own.
const MAX_BODY_BYTES = 1024 * 1024;

// Served on Kit's resolve() path so cookies set through event.cookies reach the response.
const handler: RequestHandler = async (event) => {
	const length = Number(event.request.headers.get('content-length') ?? 0);
	if (length > MAX_BODY_BYTES) return new Response('request body too large', { status: 413 });
	return fetchRequestHandler({
		endpoint: '/api/trpc',
		req: limitBody(event.request, MAX_BODY_BYTES),
		router: appRouter,
		createContext: async ({ req, info }) => {
			checkHttpEnvelope(req, info, (await services()).config.trpcMaxBatch);
			return createHttpContext(event);
		},
		onError({ error, path }) {
			if (error.code === 'INTERNAL_SERVER_ERROR')
				console.error(`tRPC ${path ?? '?'} failed:`, error.cause ?? error);
		}
	});
};

/** A chunked body (no Content-Length) is cut off once it passes the limit. */
function limitBody(request: Request, max: number): Request {
	if (!request.body) return request;
	let seen = 0;
	const body = request.body.pipeThrough(
		new TransformStream<Uint8Array, Uint8Array>({
			transform(chunk, controller) {
				seen += chunk.byteLength;
				if (seen > max) controller.error(new Error('request body too large'));
				else controller.enqueue(chunk);
			}
		})
	);
	return new Request(request, { body, duplex: 'half' } as RequestInit);
}

export const GET = handler;
export const POST = handler;

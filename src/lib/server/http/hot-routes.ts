import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Services } from '../trpc/context';
import { verifyAccessToken } from '../auth/access-token';
import { clientIp } from '../auth/client-ip';
import { serveAudio } from '../calls/audio';
import { handleUpload, REPLY, type UploadOutcome } from '../calls/upload';
import { matchHotRoute, type HotRoute } from './hot-paths';
import { requestToken } from './request-auth';
import { runFollowUps, textReply, writeNodeReply } from './reply';
import { SECURITY_HEADERS } from './security-headers';
import { serviceErrorReply } from './service-errors';

/**
 * Production's hot path: `GET|HEAD /api/calls/:id/audio` and the recorder upload endpoints are
 * answered straight from Node's http.Server, ahead of SvelteKit (whose per-request work — web
 * Request/Response objects, hooks, routing — costs more than these endpoints' own logic). They run
 * the same cores as the Kit routes (calls/audio.ts, calls/upload.ts) and do what hooks.server.ts
 * does for them: the client IP, the viewer from the bearer header or access cookie, the security
 * headers. An upload's follow-ups (publishing the call to listeners, the admin log) run once its
 * reply has been handed to the OS. Every other request goes to SvelteKit untouched.
 */
export function hotRoutes(svc: Services, kit: RequestListener): RequestListener {
	return (req, res) => {
		const route = hotRoute(req, svc.config.origin);
		if (!route) return kit(req, res);
		// A reply that can no longer be written (the client went away) must not become an
		// unhandled 'error' event.
		res.on('error', () => {});
		if (route.kind === 'audio') void answerAudio(svc, req, res, route, kit);
		else void answerUpload(svc, req, res, route);
	};
}

/**
 * The hot routes in front of a server's existing SvelteKit listener, swapped in place so other
 * listeners (a request counter) keep seeing every request; returns the undo.
 */
export function attachHotRoutes(server: Server, kit: RequestListener, svc: Services): () => void {
	if (!server.listeners('request').includes(kit))
		throw new Error("SvelteKit's request listener is not on this server");
	const dispatch = hotRoutes(svc, kit);
	replaceListener(server, kit, dispatch);
	return () => replaceListener(server, dispatch, kit);
}

function hotRoute(req: IncomingMessage, origin: string | null): HotRoute | null {
	// adapter-node's base: ORIGIN, else https:// + Host; without either Kit answers 400 itself.
	const base = origin ?? (req.headers.host ? `https://${req.headers.host}` : null);
	if (!base || !req.method || !req.url) return null;
	return matchHotRoute(req.method, req.url, base);
}

function replaceListener(server: Server, current: RequestListener, next: RequestListener): void {
	const listeners = server.listeners('request') as RequestListener[];
	server.removeAllListeners('request');
	for (const listener of listeners) server.on('request', listener === current ? next : listener);
}

/** Headers as SvelteKit's web Request sees them (Node has already joined repeated ones). */
function headerGetter(req: IncomingMessage): (name: string) => string | null {
	return (name) => {
		const value = req.headers[name];
		if (value === undefined) return null;
		return Array.isArray(value) ? value.join(', ') : value;
	};
}

async function answerAudio(
	svc: Services,
	req: IncomingMessage,
	res: ServerResponse,
	route: Extract<HotRoute, { kind: 'audio' }>,
	kit: RequestListener
) {
	const header = headerGetter(req);
	let reply;
	try {
		const token = requestToken(route.pathname, header);
		const viewer = await verifyAccessToken(svc, token, svc.sessionView);
		reply = await serveAudio(svc, { method: req.method!, header, viewer, id: route.id });
	} catch (err) {
		const refusal = serviceErrorReply(err);
		if (refusal) return send(res, () => writeNodeReply(res, refusal, SECURITY_HEADERS));
		// Nothing is written yet and a GET has no body to lose: SvelteKit answers exactly as it
		// would have (its own 500 if the fault persists).
		console.error('audio: hot path failed, SvelteKit answers instead:', describe(err));
		return kit(req, res);
	}
	send(res, () => writeNodeReply(res, reply, SECURITY_HEADERS));
}

async function answerUpload(
	svc: Services,
	req: IncomingMessage,
	res: ServerResponse,
	route: Extract<HotRoute, { kind: 'upload' }>
) {
	const header = headerGetter(req);
	let outcome: UploadOutcome;
	try {
		const ip = clientIp(
			header('x-forwarded-for'),
			req.socket.remoteAddress ?? '',
			svc.config.trustProxy
		);
		outcome = await handleUpload(svc, {
			method: req.method!,
			header,
			body: requestBody(req),
			query: route.query,
			ip
		});
	} catch (err) {
		// handleUpload answers its own failures; this is the last resort, with the same text.
		console.error('upload failed:', describe(err));
		outcome = { reply: textReply(500, REPLY.serverError), afterReply: [] };
	}

	// Listeners hear of a call only once its recorder's reply has left ('finish'), or the
	// connection is gone ('close', the call is stored all the same).
	let done = false;
	const afterSent = () => {
		if (done) return;
		done = true;
		runFollowUps(outcome.afterReply, 'upload');
		// A body left unread (malformed multipart) is drained so the connection can carry the next request.
		if (!req.complete) req.resume();
	};
	res.once('finish', afterSent);
	res.once('close', afterSent);
	send(res, () => writeNodeReply(res, outcome.reply, SECURITY_HEADERS));
}

/**
 * The body as SvelteKit's Node adapter decides it (`get_raw_body`): none for GET/HEAD, without a
 * Content-Type, with Content-Length 0, or on HTTP/1 without a length or chunked encoding.
 */
function requestBody(req: IncomingMessage): IncomingMessage | null {
	if (req.method === 'GET' || req.method === 'HEAD') return null;
	const h = req.headers;
	if (!h['content-type']) return null;
	const length = Number(h['content-length']);
	const hasLength = Number.isFinite(length);
	if ((req.httpVersionMajor === 1 && !hasLength && h['transfer-encoding'] == null) || length === 0)
		return null;
	return req;
}

/** Writing can only fail on a bug (a bad header value); the process must survive it. */
function send(res: ServerResponse, write: () => void): void {
	try {
		write();
	} catch (err) {
		console.error('hot path reply failed:', describe(err));
		if (res.headersSent) res.destroy();
		else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Error');
	}
}

/** The error's message only: never the request (tokens, keys). */
function describe(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

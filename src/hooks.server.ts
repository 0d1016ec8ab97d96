import type { Handle, ServerInit } from '@sveltejs/kit';
import { currentApp, services } from '$lib/server/app';
import { verifyAccessToken } from '$lib/server/auth/access-token';
import { clientIp } from '$lib/server/auth/client-ip';
import { requestToken } from '$lib/server/http/request-auth';
import { SECURITY_HEADERS } from '$lib/server/http/security-headers';
import { needsSetup } from '$lib/server/auth/accounts';
import { redirect } from '@sveltejs/kit';

// In production the audio and upload endpoints are answered before this hook, by
// lib/server/http/hot-routes.ts, which does the same as the lines below for them.

// Once an admin exists setup never comes back (the last admin cannot be deleted).
let setupDone = false;

// Builds the app (the composition root, app.ts) once per process: in production while
// scripts/start.js imports SvelteKit's handler, in dev on the first request.
export const init: ServerInit = async () => {
	await currentApp();
};

export const handle: Handle = async ({ event, resolve }) => {
	const svc = await services();
	event.locals.services = svc;
	event.locals.clientIp = clientIp(
		event.request.headers.get('x-forwarded-for'),
		event.getClientAddress(),
		svc.config.trustProxy
	);
	// Bearer header on any path; the access cookie only where it is scoped (audio).
	event.locals.viewer = await verifyAccessToken(
		svc,
		requestToken(event.url.pathname, (name) => event.request.headers.get(name))
	);

	// Until the first admin exists every page leads to /setup; afterwards /setup leads to sign-in.
	// (Leading slashes collapsed: recorders reach //api/call-upload, which must never redirect.)
	if (
		!event.url.pathname.replace(/^\/{2,}/, '/').startsWith('/api/') &&
		event.request.method === 'GET'
	) {
		setupDone ||= !(await needsSetup(svc.db));
		const onSetup = event.url.pathname === '/setup';
		if (!setupDone && !onSetup && !event.url.pathname.startsWith('/_app/')) redirect(303, '/setup');
		if (setupDone && onSetup) redirect(303, '/login');
	}

	const response = await resolve(event);
	try {
		for (const [name, value] of SECURITY_HEADERS) response.headers.set(name, value);
	} catch {
		// Some responses (redirects, proxied fetches) have immutable headers.
	}
	return response;
};

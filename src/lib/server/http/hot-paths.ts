import { collapsedUploadPath, UPLOAD_PATHS } from '../../upload-paths';

/** A request the production hot path answers itself (hot-routes.ts); everything else goes to SvelteKit. */
export type HotRoute =
	{ kind: 'upload'; query: URLSearchParams } | { kind: 'audio'; id: string; pathname: string };

const AUDIO_PATH = /^\/api\/calls\/([^/]+)\/audio$/;
/** Methods a web Request cannot carry: SvelteKit's Node adapter answers them 400, so they stay with it. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Which hot route a request is, judged on the same URL SvelteKit builds (`base + request target`,
 * WHATWG-normalised), so a path the hot path takes is one Kit would route to the same endpoint:
 * - uploads: `/api/call-upload` and `/api/trunk-recorder-call-upload`, with the doubled leading
 *   slashes and trailing slashes the reroute hook accepts, any query, every method (a wrong one
 *   gets the endpoint's 405 text);
 * - audio: `GET`/`HEAD /api/calls/<segment>/audio` exactly (other methods get Kit's own 405, a
 *   trailing slash Kit's 308, `/api/calls/abc/audio` the endpoint's 404, as under Kit).
 * Percent-encoded paths (Kit decodes them before routing) and anything unusual return null.
 *
 * @param base what adapter-node prefixes the target with: ORIGIN, else `https://` + the Host header.
 */
export function matchHotRoute(method: string, target: string, base: string): HotRoute | null {
	// Most requests are neither: refuse them without building a URL.
	if (!target.includes('upload') && !target.includes('/audio')) return null;
	if (FORBIDDEN_METHODS.has(method.toUpperCase())) return null;
	let url: URL;
	try {
		url = new URL(base + target);
	} catch {
		return null; // Kit answers 400 here
	}
	if (url.username || url.password) return null; // a web Request refuses URLs with credentials
	const { pathname } = url;
	if (pathname.includes('%')) return null;
	if (UPLOAD_PATHS.has(pathname) || collapsedUploadPath(pathname))
		return { kind: 'upload', query: url.searchParams };
	if (method !== 'GET' && method !== 'HEAD') return null;
	const audio = AUDIO_PATH.exec(pathname);
	return audio ? { kind: 'audio', id: audio[1], pathname } : null;
}

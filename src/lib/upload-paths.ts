/**
 * The recorder upload routes and the path shapes recorders reach them by. Shared by the reroute
 * hook (src/hooks.ts, which also runs in the browser: keep this module free of server imports)
 * and the production hot path (lib/server/http/hot-paths.ts), so both accept the same paths.
 */
export const UPLOAD_PATHS: ReadonlySet<string> = new Set([
	'/api/call-upload',
	'/api/trunk-recorder-call-upload'
]);

/**
 * Recorders append `/api/call-upload` to the URL the user typed, so `http://host/` becomes
 * `http://host//api/call-upload`, and some users type a trailing slash. Returns the upload route
 * such a path means (to be served in place: a redirect would turn the POST into a GET, and
 * Trunk-Recorder follows none), or null when the path is not one of those shapes.
 */
export function collapsedUploadPath(pathname: string): string | null {
	if (!pathname.startsWith('//') && !pathname.endsWith('-upload/')) return null;
	const collapsed = pathname.replace(/^\/{2,}/, '/').replace(/\/+$/, '');
	return UPLOAD_PATHS.has(collapsed) ? collapsed : null;
}

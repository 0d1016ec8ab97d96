import type { Reroute } from '@sveltejs/kit';

/**
 * Recorders append `/api/call-upload` to the URL the user typed, so `http://host/` becomes
 * `http://host//api/call-upload`. Serve those paths in place: a redirect would turn the POST into
 * a GET, and Trunk-Recorder follows none.
 */
const UPLOAD_PATHS = new Set(['/api/call-upload', '/api/trunk-recorder-call-upload']);

export const reroute: Reroute = ({ url }) => {
	if (url.pathname.startsWith('//') || url.pathname.endsWith('-upload/')) {
		const collapsed = url.pathname.replace(/^\/{2,}/, '/').replace(/\/+$/, '');
		if (UPLOAD_PATHS.has(collapsed)) return collapsed;
	}
};

import type { Reroute } from '@sveltejs/kit';

/**
 * Recorders append `/api/call-upload` to the URL the user typed, so `http://host/` becomes
 * `http://host//api/call-upload`. Serve those paths in place: a redirect would turn the POST into
 * a GET, and Trunk-Recorder follows none.
 */
export const reroute: Reroute = ({ url }) => {
	if (url.pathname.startsWith('//')) {
		const collapsed = url.pathname.replace(/^\/{2,}/, '/');
		if (collapsed === '/api/call-upload' || collapsed === '/api/trunk-recorder-call-upload') return collapsed;
	}
};

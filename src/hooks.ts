import type { Reroute } from '@sveltejs/kit';
import { collapsedUploadPath } from '$lib/upload-paths';

/**
 * Recorders append `/api/call-upload` to the URL the user typed, so `http://host/` becomes
 * `http://host//api/call-upload`. Serve those paths in place: a redirect would turn the POST into
 * a GET, and Trunk-Recorder follows none.
 */
export const reroute: Reroute = ({ url }) => collapsedUploadPath(url.pathname) ?? undefined;

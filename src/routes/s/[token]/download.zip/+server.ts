import { Readable } from 'node:stream';
import type { RequestHandler } from './$types';
import { services } from '$lib/server/app';
import { textReply, toWebResponse } from '$lib/server/http/reply';
import { sharedFiles } from '$lib/server/share/public';
import { incidentEntries } from '$lib/server/share/incident-files';
import { incidentZip } from '$lib/server/share/zip';
import { shareMessage } from '$lib/share-text';

// The link's calls as one zip (audio + index.csv + index.json), for anyone holding the link.
export const GET: RequestHandler = async ({ params }) => {
	const svc = await services();
	const found = await sharedFiles(svc, params.token);
	if (found.status !== 200)
		return toWebResponse(textReply(found.status, shareMessage(found.reason)));
	const entries = await incidentEntries(svc.config.recordingsDir, found.rows);
	const body = Readable.toWeb(incidentZip(found.link.title, entries)) as ReadableStream<Uint8Array>;
	return new Response(body, {
		headers: {
			'content-type': 'application/zip',
			'content-disposition': `attachment; filename="squelch-share-${found.link.id}.zip"`,
			'cache-control': 'private, no-store'
		}
	});
};

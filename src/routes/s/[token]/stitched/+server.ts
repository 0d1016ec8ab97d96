import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { RequestHandler } from './$types';
import { services } from '$lib/server/app';
import { textReply, toWebResponse } from '$lib/server/http/reply';
import { sharedFiles } from '$lib/server/share/public';
import { incidentEntries } from '$lib/server/share/incident-files';
import { shareMessage } from '$lib/share-text';

const STATUS = { absent: 501, busy: 503, timeout: 504, failed: 500 } as const;

// The link's calls joined into one MP3 by FFmpeg; without FFmpeg a 501 that says so.
export const GET: RequestHandler = async ({ params }) => {
	const svc = await services();
	const found = await sharedFiles(svc, params.token);
	if (found.status !== 200)
		return toWebResponse(textReply(found.status, shareMessage(found.reason)));
	const entries = await incidentEntries(svc.config.recordingsDir, found.rows);
	const inputs = entries.flatMap((e) => (e.path ? [e.path] : []));
	const result = await svc.stitcher.stitch(inputs);
	if (!result.ok) {
		const extra: Record<string, string> = result.reason === 'busy' ? { 'retry-after': '10' } : {};
		const hint = result.reason === 'absent' ? ' Download the zip instead.' : '';
		return toWebResponse(textReply(STATUS[result.reason], result.message + hint, extra));
	}
	const size = (await fs.promises.stat(result.file)).size;
	const stream = fs.createReadStream(result.file);
	stream.once('close', () => void result.cleanup());
	return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
		headers: {
			'content-type': 'audio/mpeg',
			'content-length': String(size),
			'content-disposition': `attachment; filename="squelch-share-${found.link.id}.mp3"`,
			'cache-control': 'private, no-store'
		}
	});
};

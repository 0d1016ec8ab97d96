import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

import type { Reply } from '../calls/reply';

export { textReply, runFollowUps, type FileRange, type FollowUp, type Reply } from '../calls/reply';

export function toWebResponse(reply: Reply): Response {
	const { body } = reply;
	const payload =
		body === null || typeof body === 'string'
			? body
			: body.data
				? new Uint8Array(body.data.subarray(body.start, body.end + 1))
				: (Readable.toWeb(
						fs.createReadStream(body.file, { start: body.start, end: body.end })
					) as ReadableStream<Uint8Array>);
	return new Response(payload, { status: reply.status, headers: reply.headers });
}

/**
 * Writes a reply to Node's response, `extraHeaders` after the reply's own. A text body goes out
 * with its Content-Length in one write; a file range is streamed, and if reading it fails after
 * the head was sent the connection is cut, which is all HTTP allows then (SvelteKit does the same).
 */
export function writeNodeReply(
	res: ServerResponse,
	reply: Reply,
	extraHeaders: ReadonlyArray<readonly [string, string]> = []
): void {
	const headers: Record<string, string> = { ...reply.headers };
	for (const [name, value] of extraHeaders) headers[name] = value;
	const { body } = reply;
	if (body === null || typeof body === 'string') {
		if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
		res.writeHead(reply.status, headers);
		res.end(body ?? undefined);
		return;
	}
	res.writeHead(reply.status, headers);
	if (body.data) {
		// Held in memory: the head and the bytes leave together.
		res.end(body.data.subarray(body.start, body.end + 1));
		return;
	}
	// pipe(), not pipeline(): the same back-pressure without pipeline's per-call signal and
	// end-of-stream machinery, which showed in the audio profile. Errors and aborts by hand:
	const file = fs.createReadStream(body.file, { start: body.start, end: body.end });
	file.on('error', (err: NodeJS.ErrnoException) => {
		console.error('audio stream failed:', err.code ?? err.message);
		res.destroy();
	});
	// A listener skipping ahead or closing the tab: stop reading, release the file.
	res.once('close', () => file.destroy());
	file.pipe(res);
}

import type { RequestHandler } from './$types';
import { services } from '$lib/server/app';
import { serveStoredAudio } from '$lib/server/calls/audio';
import { textReply, toWebResponse } from '$lib/server/http/reply';
import { sharedAudioRow } from '$lib/server/share/public';

// A shared call's audio, for anyone holding the link and for no other call: the call must be
// one the link holds, and the link live. Range and validators as /api/calls/:id/audio.
const serve: RequestHandler = async ({ params, request }) => {
	const svc = await services();
	const row = await sharedAudioRow(svc, params.token, params.callId);
	if (!row) return toWebResponse(textReply(404, 'not found'));
	const reply = await serveStoredAudio(
		svc,
		{ method: request.method, header: (name) => request.headers.get(name) },
		row,
		'private, no-cache'
	);
	return toWebResponse(reply);
};

export const GET = serve;
export const HEAD = serve;

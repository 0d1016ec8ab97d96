import { decideTranscript, type DecideDeps } from './decide';

/**
 * Decides keyword rules as transcripts arrive (`transcript.stored`), one call at a time in
 * arrival order. Returns the stop function, which waits for the decision in progress.
 */
export function watchTranscripts(deps: DecideDeps): () => Promise<void> {
	let chain: Promise<unknown> = Promise.resolve();
	const off = deps.bus.subscribe('transcript.stored', ({ callId }) => {
		chain = chain
			.then(async () => {
				const row = await deps.db
					.selectFrom('transcripts')
					.select('text')
					.where('call_id', '=', callId)
					.executeTakeFirst();
				if (row) await decideTranscript(deps, callId, row.text);
			})
			.catch((err) =>
				console.error(
					'Squelch: keyword alert decision failed:',
					err instanceof Error ? err.message : err
				)
			);
	});
	return async () => {
		off();
		await chain;
	};
}

/**
 * What an endpoint core (calls/audio.ts, calls/upload.ts) answers, independent of the server that
 * sends it: SvelteKit turns it into a web Response (toWebResponse), the production hot path writes
 * it straight to Node's ServerResponse (writeNodeReply).
 */
export interface Reply {
	status: number;
	/** Lower-case names. */
	headers: Record<string, string>;
	/** Text, nothing, or an inclusive byte range of a file to stream. */
	body: string | null | FileRange;
}

export interface FileRange {
	file: string;
	start: number;
	end: number;
	/** The whole file, when it is held in memory (calls/audio-files.ts): no disk read. */
	data?: Buffer | null;
}

/** Work that must wait until the reply is on its way (publishing, the admin log). */
export type FollowUp = () => unknown;

export function textReply(
	status: number,
	body: string,
	headers: Record<string, string> = {}
): Reply {
	return {
		status,
		headers: {
			'content-type': 'text/plain; charset=utf-8',
			'cache-control': 'no-store',
			...headers
		},
		body
	};
}

/** Starts each follow-up; a failure is logged (by what failed, never with request data), not thrown. */
export function runFollowUps(work: readonly FollowUp[], label: string): void {
	for (const step of work) {
		Promise.resolve()
			.then(step)
			.catch((err) =>
				console.error(`${label} follow-up failed:`, err instanceof Error ? err.message : err)
			);
	}
}

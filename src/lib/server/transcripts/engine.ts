/**
 * What a speech-to-text engine does for Squelch, whatever it is: one call's audio in, timed text
 * out, or a refusal saying whether a later try may succeed. The queue (worker.ts) owns retries,
 * backoff and giving up; an engine makes exactly one attempt per call. A local in-process engine
 * is another implementation of this interface, chosen in engineFor (engines.ts).
 */

export interface TranscribeRequest {
	/** Absolute path of the call's stored audio. */
	audioPath: string;
	/** The file name sent with the audio (engines sniff the format from its extension). */
	fileName: string;
	mimeType: string;
	/** ISO-639-1 code, or null to let the engine detect it. */
	language: string | null;
	/** Aborted when the server stops. */
	signal?: AbortSignal;
}

/** A timed piece of speech, seconds from the start of the call. */
export interface EngineSegment {
	start: number;
	end: number;
	text: string;
}

export type EngineResult =
	| {
			ok: true;
			text: string;
			segments: EngineSegment[];
			language: string | null;
			/** Seconds of audio the engine heard, when it says. */
			duration: number | null;
	  }
	| {
			ok: false;
			/** true: network, timeout, 5xx or 429 — worth another try later. */
			retry: boolean;
			/** The engine asked to wait this long (429 Retry-After). */
			retryAfterMs: number | null;
			/** For the event log; never contains the API key. */
			reason: string;
	  };

export interface TranscriptionEngine {
	/** Stored with each transcript: which engine and model made it. */
	readonly name: string;
	readonly model: string;
	transcribe(request: TranscribeRequest): Promise<EngineResult>;
}

/** Where the socket server (trpc-socket.ts) finds a direct subscription's `open`. */
export const DIRECT_STREAM = Symbol('squelch.directStream');

export type OpenStream = (fail: (error: unknown) => void) => Promise<{ close(): void }>;

/**
 * A direct subscription as Squelch's socket server runs it: `started`, then `open`, with no
 * iterator, promise chain or AbortController held per subscription (trpc-socket.ts).
 */
export interface DirectStream {
	[DIRECT_STREAM]: OpenStream;
}

/**
 * Starts a direct subscription without the router's procedure chain, for the case where every
 * check of the chain passes (context, raw input as the decoder left it); null when any would
 * refuse: the socket then runs the procedure, whose refusal is the answer (trpc-socket.ts).
 */
export type DirectStart = (ctx: unknown, rawInput: unknown) => DirectStream | null;

export function isDirectStream(value: unknown): value is DirectStream {
	return typeof value === 'object' && value !== null && DIRECT_STREAM in value;
}

/**
 * The AsyncIterable a direct subscription (ws-codec.ts) hands tRPC. tRPC sends `started`, then
 * asks for the first event: that is when `open` runs and the stream starts writing its own
 * frames to the socket, so none can precede `started`. The iterable itself never yields; it ends
 * when tRPC stops the subscription (`subscription.stop`, socket closed, server shutdown), which
 * closes the stream, and tRPC answers `stopped`. If `open` fails, or the stream calls `fail`
 * (e.g. the viewer may no longer listen), the subscription ends with that error.
 *
 * Typed as yielding T because the frames written are exactly what yielding T would send, so
 * clients infer the right event type.
 */
export function directSubscription<T>(
	open: OpenStream,
	signal: AbortSignal | undefined
): AsyncIterable<T> & DirectStream {
	return {
		[DIRECT_STREAM]: open,
		[Symbol.asyncIterator]: () => iterate<T>(open, signal)
	};
}

/** The same subscription through tRPC's own iteration (its adapter, a server-side caller). */
function iterate<T>(open: OpenStream, signal: AbortSignal | undefined): AsyncIterator<T> {
	let stream: { close(): void } | null = null;
	let finished = false;
	let failure: { error: unknown } | null = null;
	let end: (() => void) | null = null;
	const finish = () => {
		finished = true;
		signal?.removeEventListener('abort', finish);
		stream?.close();
		end?.();
	};
	const fail = (error: unknown) => {
		if (finished) return;
		failure = { error };
		finish();
	};
	return {
		async next(): Promise<IteratorResult<T>> {
			if (!finished && !stream) {
				signal?.addEventListener('abort', finish, { once: true });
				const opened = await open(fail);
				if (finished || signal?.aborted) opened.close();
				else stream = opened;
			}
			if (!finished && !signal?.aborted) await new Promise<void>((resolve) => (end = resolve));
			finish();
			if (failure) throw failure.error;
			return { done: true, value: undefined };
		},
		async return(): Promise<IteratorResult<T>> {
			finish();
			return { done: true, value: undefined };
		}
	};
}

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
	open: (fail: (error: unknown) => void) => Promise<{ close(): void }>,
	signal: AbortSignal | undefined
): AsyncIterable<T> {
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
		[Symbol.asyncIterator]: () => ({
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
		})
	};
}

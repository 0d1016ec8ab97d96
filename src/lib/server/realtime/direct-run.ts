import { TRPCError } from '@trpc/server';
import { DIRECT_STREAM, isDirectStream } from './direct-subscription';
import type { Call, Subscription, TrpcSocket } from './trpc-socket';
import type { RequestId } from './trpc-messages';

/** A direct subscription on its socket: setup, then its stream until stopped or failed. */
export class DirectRun implements Subscription {
	private phase: 'setup' | 'running' | 'ended' = 'setup';
	private stopAsked = false;
	private stream: { close(): void } | null = null;

	constructor(
		private socket: TrpcSocket,
		private id: NonNullable<RequestId>,
		private jsonrpc: '2.0' | undefined,
		private path: string
	) {}

	stop(): void {
		this.stopAsked = true;
		// During setup, the setup sees stopAsked when it settles.
		if (this.phase === 'running') this.finish();
	}

	started(result: unknown): void {
		if (this.stopAsked) return this.finish();
		if (!isDirectStream(result))
			return this.refused(
				new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: `Subscription ${this.path} did not return a direct stream`
				}),
				{ type: 'subscription', path: this.path, input: undefined }
			);
		this.socket.send({ id: this.id, jsonrpc: this.jsonrpc, result: { type: 'started' } });
		this.phase = 'running';
		// Not an async method: one subscription per socket, and every promise costs (with SvelteKit's
		// AsyncLocalStorage on, each one carries hook state).
		let opening: Promise<{ close(): void }>;
		try {
			opening = result[DIRECT_STREAM]((error) => this.finish(error));
		} catch (error) {
			return this.finish(error);
		}
		opening.then(
			(opened) => {
				// Stopped or failed while opening.
				if (this.phase === 'ended') opened.close();
				else this.stream = opened;
			},
			(error) => this.finish(error)
		);
	}

	/** Setup failed: the request is answered with the error (stopped, if the client stopped it). */
	refused(cause: unknown, call: Call): void {
		if (this.phase !== 'setup') return;
		if (this.stopAsked) return this.finish();
		this.phase = 'ended';
		this.socket.ended(this.id, this);
		this.socket.answer(this.id, this.jsonrpc, cause, call);
	}

	/** Ends it once: the stream closed, its error if it failed, then `stopped`. */
	private finish(error?: unknown): void {
		if (this.phase === 'ended') return;
		this.phase = 'ended';
		this.socket.ended(this.id, this);
		this.stream?.close();
		// A late failure's shape names the path; the input is no longer held.
		if (error !== undefined)
			this.socket.answer(this.id, this.jsonrpc, error, {
				type: 'subscription',
				path: this.path,
				input: undefined
			});
		this.socket.send({ id: this.id, jsonrpc: this.jsonrpc, result: { type: 'stopped' } });
	}
}

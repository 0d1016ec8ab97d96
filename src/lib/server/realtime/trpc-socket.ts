import {
	callTRPCProcedure,
	getErrorShape,
	getTRPCErrorFromUnknown,
	isTrackedEnvelope,
	transformTRPCResponse,
	TRPCError,
	type AnyRouter
} from '@trpc/server';
import type { Encoder } from '@trpc/server/adapters/ws';
import { WebSocket, type RawData } from 'ws';
import type { SubscriptionSlots } from './socket-limits';
import { DirectRun } from './direct-run';
import type { DirectStart } from './direct-subscription';
import {
	inputWithLastEventId,
	parseClientMessage,
	parseConnectionParams,
	type ClientMessage,
	type ProcedureType,
	type RequestId
} from './trpc-messages';

/** A frame's data: text as a string, a binary frame as its bytes. */
type Payload = string | Buffer;

/** A request as errors are shaped and reported: its type, path and input. */
export type Call = { type: ProcedureType | 'unknown'; path: string | undefined; input: unknown };

export interface TrpcSocketOptions {
	router: AnyRouter;
	encoder: Encoder;
	/** Messages one frame may batch; a larger batch is refused, each message BAD_REQUEST. */
	maxBatchSize: number;
	/** Subscription paths that return a DirectStream (they write their own frames). */
	direct: ReadonlySet<string>;
	/** Of those, the ones this server may start without the procedure chain when it would pass. */
	directStarts?: ReadonlyMap<string, DirectStart>;
	onError(info: { error: TRPCError; path: string | undefined; type: string }): void;
}

/** What a stopped subscription undoes: its stream or its iteration. */
export interface Subscription {
	stop(): void;
}

/** Builds a socket's context once, from its connectionParams; never throws for a bad token. */
export type BuildContext = (
	params: Record<string, string> | null
) => Promise<{ ctx: unknown; slots?: SubscriptionSlots }>;

const FALLBACK_ERROR = {
	code: -32603,
	message: 'Internal server error',
	data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 }
};

/**
 * One socket speaking tRPC's WebSocket protocol, as `@trpc/client`'s wsLink does: optional
 * connectionParams first, queries, mutations and subscriptions (also batched), `started` /
 * `data` / `stopped`, errors shaped by the router's error formatter and transformer,
 * `subscription.stop`, `lastEventId`, PING/PONG. Procedures run through tRPC's own
 * `callTRPCProcedure`, so middleware, input validation and access checks are the router's.
 *
 * Lean on purpose (docs/performance.md, 10,000 subscribers): no request, closure set or
 * AbortController per socket, subscriptions in a map made on first use, and a direct
 * subscription (live.calls) held as its stream alone. Keep-alive is the server's sweep
 * (keep-alive.ts), which reads `lastSeen` and `pingedAt`.
 */
export class TrpcSocket {
	private ctx: unknown = undefined;
	private slots: SubscriptionSlots | undefined;
	/**
	 * 'params': waiting for connectionParams; 'building': context under way, frames queue;
	 * 'failed': no context (or the socket closed), frames are ignored.
	 */
	private state: 'params' | 'building' | 'ready' | 'failed';
	private queued: Payload[] | null = null;
	private subscriptions: Map<RequestId, Subscription> | null = null;
	lastSeen: number;
	pingedAt = 0;

	/** Dropped once used: what it holds (the peer's address) is not kept per socket. */
	private buildContext: BuildContext | null;

	constructor(
		readonly ws: WebSocket,
		private opts: TrpcSocketOptions,
		buildContext: BuildContext,
		wantsParams: boolean,
		now: number
	) {
		this.buildContext = buildContext;
		this.lastSeen = now;
		this.state = wantsParams ? 'params' : 'building';
		if (!wantsParams) this.build(null);
	}

	message(data: RawData, isBinary: boolean, now: number): void {
		this.lastSeen = now;
		this.pingedAt = 0;
		// Text frames decoded once; binary ones go to the encoder as they are (JSON refuses them).
		const payload: Payload = isBinary ? (data as Buffer) : data.toString();
		if (payload === 'PONG') return;
		if (payload === 'PING') return void this.ws.send('PONG');
		if (this.state === 'ready') return this.frame(payload);
		if (this.state === 'building') (this.queued ??= []).push(payload);
		else if (this.state === 'params') this.connectionParams(payload);
	}

	/** The socket is gone: every subscription ends, with nothing more sent. */
	closed(): void {
		// A context still being built is dropped when it arrives, with the frames queued for it.
		this.state = 'failed';
		this.queued = null;
		const subs = this.subscriptions;
		this.subscriptions = null;
		if (subs) for (const sub of subs.values()) sub.stop();
	}

	private connectionParams(payload: Payload): void {
		this.state = 'building';
		let params: Record<string, string> | null;
		try {
			let msg: unknown;
			try {
				msg = this.opts.encoder.decode(payload);
				if (typeof msg !== 'object' || msg === null) throw new Error('Message was not an object');
			} catch (cause) {
				throw new TRPCError({
					code: 'PARSE_ERROR',
					message: 'Malformed TRPCConnectionParamsMessage',
					cause
				});
			}
			params = parseConnectionParams((msg as { data?: unknown }).data);
		} catch (cause) {
			return this.fail(cause);
		}
		this.build(params);
	}

	private build(params: Record<string, string> | null): void {
		const buildContext = this.buildContext!;
		this.buildContext = null;
		buildContext(params).then(
			({ ctx, slots }) => {
				if (this.state !== 'building') return;
				this.ctx = ctx;
				this.slots = slots;
				this.state = 'ready';
				const queued = this.queued;
				this.queued = null;
				if (queued) for (const payload of queued) this.frame(payload);
			},
			(cause) => this.fail(cause)
		);
	}

	/** The context could not be made: tRPC's answer (an error without id), then close. */
	private fail(cause: unknown): void {
		this.state = 'failed';
		this.queued = null;
		this.buildContext = null;
		const error = this.report(cause, { type: 'unknown', path: undefined, input: undefined });
		this.send({
			id: null,
			error: this.shape(error, { type: 'unknown', path: undefined, input: undefined })
		});
		setImmediate(() => this.ws.close());
	}

	private frame(payload: Payload): void {
		let messages: ClientMessage[];
		try {
			const decoded = this.opts.encoder.decode(payload);
			const batch = Array.isArray(decoded);
			const raw: unknown[] = batch ? decoded : [decoded];
			if (batch && raw.length > this.opts.maxBatchSize) return this.refuseBatch(raw);
			messages = raw.map((m) => parseClientMessage(m, this.opts.router));
		} catch (cause) {
			const error = new TRPCError({ code: 'PARSE_ERROR', cause });
			return this.send({ id: null, error: this.shape(error, UNKNOWN) });
		}
		messages.forEach((msg, index) => this.handle(msg, index));
	}

	/** A frame batching more than allowed: every request in it is answered BAD_REQUEST. */
	private refuseBatch(raw: unknown[]): void {
		const error = new TRPCError({
			code: 'BAD_REQUEST',
			message: 'Batch call exceeds maximum size'
		});
		this.report(error, UNKNOWN);
		const shape = this.shape(error, UNKNOWN);
		let answered = false;
		for (const m of raw) {
			if (typeof m !== 'object' || m === null) continue;
			const { id, jsonrpc, method } = m as { id?: unknown; jsonrpc?: unknown; method?: unknown };
			if (method === 'subscription.stop' || (typeof id !== 'number' && typeof id !== 'string'))
				continue;
			this.send({ id, jsonrpc: jsonrpc === '2.0' ? '2.0' : undefined, error: shape });
			answered = true;
		}
		if (!answered) this.send({ id: null, error: shape });
	}

	private handle(msg: ClientMessage, batchIndex: number): void {
		const { id, jsonrpc } = msg;
		if (id === null) {
			const error = new TRPCError({ code: 'PARSE_ERROR', message: '`id` is required' });
			this.report(error, UNKNOWN);
			return this.send({ id, jsonrpc, error: this.shape(error, UNKNOWN) });
		}
		if (msg.method === 'subscription.stop') return this.subscriptions?.get(id)?.stop();
		const { path } = msg.params;
		const call: Call = {
			type: msg.method,
			path,
			input: inputWithLastEventId(msg.params.input, msg.params.lastEventId)
		};
		const answerError = (cause: unknown) =>
			this.send({ id, jsonrpc, error: this.shape(this.report(cause, call), call) });
		if (msg.method !== 'subscription') {
			this.call(call, batchIndex, undefined)
				.then((data) => {
					if (typeof data === 'object' && data !== null && Symbol.asyncIterator in data)
						throw new TRPCError({
							code: 'UNSUPPORTED_MEDIA_TYPE',
							message: `Cannot return an async iterable or observable from a ${msg.method} procedure with WebSockets`
						});
					this.send({ id, jsonrpc, result: { type: 'data', data } });
				})
				.catch(answerError);
			return;
		}
		if (this.subscriptions?.has(id))
			return answerError(new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` }));
		const slots = this.slots;
		if (slots && !slots.take())
			return answerError(
				new TRPCError({
					code: 'TOO_MANY_REQUESTS',
					message: `subscriptions: at most ${slots.max} open on one socket`
				})
			);
		if (this.opts.direct.has(path)) this.subscribeDirect(id, jsonrpc, call, batchIndex);
		else this.subscribe(id, jsonrpc, call, batchIndex, answerError);
	}

	/**
	 * A direct subscription (live.calls): after `started`, it is its stream and nothing else,
	 * a DirectRun of a few fields, not the closures, input and promise chain of a request.
	 */
	private subscribeDirect(
		id: NonNullable<RequestId>,
		jsonrpc: '2.0' | undefined,
		call: Call,
		batchIndex: number
	): void {
		const run = new DirectRun(this, id, jsonrpc, call.path!);
		(this.subscriptions ??= new Map()).set(id, run);
		const stream = this.opts.directStarts?.get(call.path!)?.(this.ctx, call.input);
		if (stream) return void run.started(stream);
		this.call(call, batchIndex, undefined).then(
			(result) => run.started(result),
			(cause) => run.refused(cause, call)
		);
	}

	/** @internal DirectRun: the subscription is over (stopped, failed, or refused). */
	ended(id: NonNullable<RequestId>, run: Subscription): void {
		if (this.subscriptions?.get(id) === run) this.subscriptions.delete(id);
		this.slots?.release();
	}

	/** @internal DirectRun: an error for a request, shaped and reported as any other. */
	answer(id: RequestId, jsonrpc: '2.0' | undefined, cause: unknown, call: Call): void {
		this.send({ id, jsonrpc, error: this.shape(this.report(cause, call), call) });
	}

	private subscribe(
		id: NonNullable<RequestId>,
		jsonrpc: '2.0' | undefined,
		call: Call,
		batchIndex: number,
		answerError: (cause: unknown) => void
	): void {
		const subs = (this.subscriptions ??= new Map());
		const abort = new AbortController();
		let phase: 'setup' | 'running' | 'ended' = 'setup';
		let stopAsked = false;
		const settle = () => {
			phase = 'ended';
			if (subs.get(id) === sub) subs.delete(id);
			this.slots?.release();
		};
		/** Ends a started subscription once: its error if it failed, then `stopped`. */
		const finish = (error?: unknown) => {
			if (phase === 'ended') return;
			settle();
			if (error !== undefined) answerError(error);
			this.send({ id, jsonrpc, result: { type: 'stopped' } });
		};
		const sub: Subscription = {
			stop: () => {
				stopAsked = true;
				abort.abort();
				// During setup, the setup sees stopAsked when it settles.
				if (phase === 'running') finish();
			}
		};
		subs.set(id, sub);
		this.call(call, batchIndex, abort?.signal)
			.then(async (result) => {
				if (stopAsked) {
					settle();
					if (isAsyncIterable(result))
						void result[Symbol.asyncIterator]()
							.return?.()
							.catch(() => {});
					return this.send({ id, jsonrpc, result: { type: 'stopped' } });
				}
				if (!isAsyncIterable(result))
					throw new TRPCError({
						code: 'INTERNAL_SERVER_ERROR',
						message: `Subscription ${call.path} did not return an AsyncGenerator`
					});
				this.send({ id, jsonrpc, result: { type: 'started' } });
				phase = 'running';
				finish(await this.iterate(id, jsonrpc, result, abort.signal));
			})
			.catch((cause) => {
				// Setup failed: answered with the error (stopped if the client had stopped it).
				if (phase !== 'setup') return;
				settle();
				if (stopAsked) this.send({ id, jsonrpc, result: { type: 'stopped' } });
				else answerError(cause);
			});
	}

	/** tRPC's loop for yielding subscriptions; resolves with the error that ended it, if any. */
	private async iterate(
		id: NonNullable<RequestId>,
		jsonrpc: '2.0' | undefined,
		iterable: AsyncIterable<unknown>,
		signal: AbortSignal
	): Promise<unknown> {
		const iterator = iterable[Symbol.asyncIterator]();
		const aborted = new Promise<'abort'>((resolve) =>
			signal.addEventListener('abort', () => resolve('abort'), { once: true })
		);
		try {
			for (;;) {
				const next = await Promise.race([iterator.next(), aborted]);
				if (next === 'abort' || next.done) return undefined;
				const value = next.value;
				const result = isTrackedEnvelope(value)
					? { type: 'data', data: { id: value[0], data: value[1] }, id: value[0] }
					: { type: 'data', data: value };
				this.send({ id, jsonrpc, result });
			}
		} catch (error) {
			return signal.aborted ? undefined : error;
		} finally {
			if (signal.aborted) void iterator.return?.().catch(() => {});
		}
	}

	private call(call: Call, batchIndex: number, signal: AbortSignal | undefined): Promise<unknown> {
		return callTRPCProcedure({
			router: this.opts.router,
			path: call.path!,
			getRawInput: async () => call.input,
			ctx: this.ctx,
			type: call.type as ProcedureType,
			signal,
			batchIndex
		});
	}

	private report(cause: unknown, call: Call): TRPCError {
		const error = getTRPCErrorFromUnknown(cause);
		try {
			this.opts.onError({ error, path: call.path, type: call.type });
		} catch {
			// onError must not break the socket
		}
		return error;
	}

	private shape(error: TRPCError, call: Call): unknown {
		try {
			return getErrorShape({
				config: this.opts.router._def._config,
				error,
				type: call.type,
				path: call.path,
				input: call.input,
				ctx: this.ctx
			});
		} catch {
			return FALLBACK_ERROR;
		}
	}

	/** @internal also DirectRun's */
	send(response: object): void {
		if (this.ws.readyState !== WebSocket.OPEN) return;
		const json = transformTRPCResponse(this.opts.router._def._config, response as never);
		this.ws.send(this.opts.encoder.encode(json));
	}
}

const UNKNOWN: Call = { type: 'unknown', path: undefined, input: undefined };

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
	return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

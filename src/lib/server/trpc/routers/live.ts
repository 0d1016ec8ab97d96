import { TRPCError, type TrackedEnvelope } from '@trpc/server';
import { z } from 'zod';
import { ServiceError } from '../../core/errors';
import { listenerProcedure, router } from '../init';
import type { Context, FrameSink } from '../context';
import type { RpcRequestId } from '../../live/live-call';
import type { Call } from '../../calls/dto';
import { openCallStream } from '../../live/calls-stream';
import { parseCallEventId } from '../../live/calls-stream';
import { isObject, RPC_INPUT_KEY } from '../../realtime/ws-codec';
import { directSubscription, type DirectStart } from '../../realtime/direct-subscription';

/** A tracked id as clients send it back: the decimal id of the last event they got. */
export const lastEventIdSchema = z
	.string()
	.regex(/^\d{1,15}$/, 'must be the id of an event this subscription sent')
	.nullish();

/** live.calls also sends `<callId>:<seq>` for a transcript update (docs/api.md). */
const callEventIdSchema = z
	.string()
	.regex(/^\d{1,15}(:\d{1,15})?$/, 'must be the id of an event this subscription sent')
	.nullish();

const callsInput = z.object({ lastEventId: callEventIdSchema }).optional();

/**
 * The request id the server's WebSocket decoder put in the raw input (ws-codec.ts): `{ id,
 * jsonrpc? }` with a finite number or a string id, or null. Read from the raw input, so the
 * public input type stays `{ lastEventId }` (zod drops the key).
 */
function taggedRpc(raw: unknown): RpcRequestId | null {
	const rpc = isObject(raw) ? raw[RPC_INPUT_KEY] : undefined;
	if (!isObject(rpc)) return null;
	const { id, jsonrpc } = rpc;
	const goodId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
	if (!goodId || (jsonrpc !== undefined && jsonrpc !== '2.0')) return null;
	return jsonrpc === '2.0' ? { id, jsonrpc } : { id };
}

const withRpcRequestId = listenerProcedure.use(async ({ getRawInput, next }) =>
	next({ ctx: { rpc: taggedRpc(await getRawInput()) } })
);

/**
 * Subscriptions live on the WebSocket only: that is where token expiry and revocation close the
 * stream. Over HTTP (SSE) nothing would cut a revoked session off, so refuse.
 */
export function requireWebSocket(ctx: Context): void {
	if (ctx.transport !== 'ws') {
		throw new TRPCError({
			code: 'METHOD_NOT_SUPPORTED',
			message: 'subscriptions are served over the WebSocket at /api/ws'
		});
	}
}

/** A stream's own refusal as the client should see it (errors while iterating skip middleware). */
function asTrpcError(error: unknown): unknown {
	return error instanceof ServiceError
		? new TRPCError({ code: error.code, message: error.message, cause: error })
		: error;
}

/** live.calls once every check has passed: its stream, opened after `started`. */
function callsStream(
	ctx: Context,
	rpc: RpcRequestId,
	socket: FrameSink,
	input: z.infer<typeof callsInput>,
	signal: AbortSignal | undefined
) {
	const presenceKey = ctx.viewer
		? `session:${ctx.viewer.sessionId}`
		: `socket:${ctx.connectionId ?? 'unknown'}`;
	return directSubscription<TrackedEnvelope<Call>>(
		(fail) =>
			openCallStream(ctx.services, ctx.viewer, {
				...parseCallEventId(input?.lastEventId),
				presenceKey,
				deliver: (call) => socket.send(call.frame(rpc), { binary: false }),
				// Access re-read while streaming: e.g. public listening turned off.
				onEnd: (error) => fail(asTrpcError(error))
			}).catch((error) => {
				throw asTrpcError(error);
			}),
		signal
	);
}

/**
 * live.calls started by the socket server without tRPC's procedure chain (10,000 listeners
 * connecting: its middlewares, context copies and promises were a fifth of a connect's CPU).
 * It passes exactly when the chain would: a signed-in viewer (listenerProcedure), the decoder's
 * request id (withRpcRequestId), an input the same schema accepts, a socket. Otherwise null, and
 * the socket runs the procedure itself, so every refusal is the chain's own answer (an
 * anonymous listener needs the public-listening setting, which the procedure reads).
 */
export const startLiveCalls: DirectStart = (ctx, rawInput) => {
	const c = ctx as Context;
	if (!c.viewer || c.transport !== 'ws' || !c.socket) return null;
	const rpc = taggedRpc(rawInput);
	const input = rpc && callsInput.safeParse(rawInput);
	if (!rpc || !input?.success) return null;
	return callsStream(c, rpc, c.socket, input.data, undefined);
};

/** Direct subscriptions the socket server may start itself (realtime/ws.ts, wired by app.ts). */
export const liveDirectStarts: ReadonlyMap<string, DirectStart> = new Map([
	['live.calls', startLiveCalls]
]);

export const liveRouter = router({
	/**
	 * Every new call the viewer may hear, each as `tracked(String(call.id), call)`; resumes after
	 * `lastEventId` with what was missed. The frames are written straight to the socket
	 * (ws-codec.ts, live/live-call.ts): byte for byte what yielding them would send.
	 */
	calls: withRpcRequestId.input(callsInput).subscription(({ ctx, input, signal }) => {
		requireWebSocket(ctx);
		const rpc = ctx.rpc;
		const socket = ctx.socket;
		if (!rpc || !socket)
			throw new TRPCError({
				code: 'INTERNAL_SERVER_ERROR',
				message: 'live.calls needs the WebSocket decoder'
			});
		return callsStream(ctx, rpc, socket, input, signal);
	}),

	/** How many listeners (signed-in devices and anonymous sockets) have a live stream open. */
	listeners: listenerProcedure.query(({ ctx }) => ({ count: ctx.services.presence.count() }))
});

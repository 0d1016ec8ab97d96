import { TRPCError, type TrackedEnvelope } from '@trpc/server';
import { z } from 'zod';
import { ServiceError } from '../../core/errors';
import { listenerProcedure, router } from '../init';
import type { Context } from '../context';
import type { Call } from '../../calls/dto';
import { openCallStream } from '../../live/calls-stream';
import { parseCallEventId } from '../../live/calls-stream';
import { RPC_INPUT_KEY } from '../../realtime/ws-codec';
import { directSubscription } from '../../realtime/direct-subscription';

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

/** The request id the server's WebSocket decoder put in the raw input (ws-codec.ts). */
const rpcRequestIdSchema = z.object({
	id: z.union([z.number(), z.string()]),
	jsonrpc: z.literal('2.0').optional()
});

/** Read from the raw input, so the public input type stays `{ lastEventId }` (zod drops the key). */
const withRpcRequestId = listenerProcedure.use(async ({ getRawInput, next }) => {
	const raw = (await getRawInput()) as Record<string, unknown> | undefined;
	const rpc = rpcRequestIdSchema.safeParse(raw?.[RPC_INPUT_KEY]);
	return next({ ctx: { rpc: rpc.success ? rpc.data : null } });
});

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

export const liveRouter = router({
	/**
	 * Every new call the viewer may hear, each as `tracked(String(call.id), call)`; resumes after
	 * `lastEventId` with what was missed. The frames are written straight to the socket
	 * (ws-codec.ts, live/live-call.ts): byte for byte what yielding them would send.
	 */
	calls: withRpcRequestId
		.input(z.object({ lastEventId: callEventIdSchema }).optional())
		.subscription(({ ctx, input, signal }) => {
			requireWebSocket(ctx);
			const rpc = ctx.rpc;
			const socket = ctx.socket;
			if (!rpc || !socket)
				throw new TRPCError({
					code: 'INTERNAL_SERVER_ERROR',
					message: 'live.calls needs the WebSocket decoder'
				});
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
		}),

	/** How many listeners (signed-in devices and anonymous sockets) have a live stream open. */
	listeners: listenerProcedure.query(({ ctx }) => ({ count: ctx.services.presence.count() }))
});

import { tracked, TRPCError } from '@trpc/server';
import { z } from 'zod';
import { listenerProcedure, router } from '../init';
import type { Context } from '../context';
import { streamCalls } from '../../live/calls-stream';
import { parseEventId } from '../../live/resumable';

/** A tracked id as clients send it back: the decimal id of the last event they got. */
export const lastEventIdSchema = z
	.string()
	.regex(/^\d{1,15}$/, 'must be the id of an event this subscription sent')
	.nullish();

/**
 * Subscriptions live on the WebSocket only: that is where token expiry and revocation close the
 * stream. Over HTTP (SSE) nothing would cut a revoked session off, so refuse.
 */
export function requireWebSocket(ctx: Context): void {
	if (ctx.transport !== 'ws') {
		throw new TRPCError({ code: 'METHOD_NOT_SUPPORTED', message: 'subscriptions are served over the WebSocket at /api/ws' });
	}
}

export const liveRouter = router({
	/** Every new call the viewer may hear; resumes after `lastEventId` with what was missed. */
	calls: listenerProcedure
		.input(z.object({ lastEventId: lastEventIdSchema }).optional())
		.subscription(async function* ({ ctx, input, signal }) {
			requireWebSocket(ctx);
			const presenceKey = ctx.viewer ? `session:${ctx.viewer.sessionId}` : `socket:${ctx.connectionId ?? 'unknown'}`;
			const calls = streamCalls(ctx.services, ctx.viewer, { lastEventId: parseEventId(input?.lastEventId), presenceKey, signal });
			for await (const call of calls) yield tracked(String(call.id), call);
		}),

	/** How many listeners (signed-in devices and anonymous sockets) have a live stream open. */
	listeners: listenerProcedure.query(({ ctx }) => ({ count: ctx.services.presence.count() }))
});

import { ServiceError } from '../core/errors';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { Context } from './context';
import type { Viewer } from '../auth/access-token';
import { getSettings } from '../core/settings';
import { TRPC_BATCH_TOO_LARGE } from './http-envelope';

/**
 * Who may call a procedure. Every procedure is built from one of the bases below, which set this,
 * so tests can derive the role matrix from the router itself.
 */
export interface Meta {
	access: 'public' | 'authed' | 'listener' | 'admin';
}

const t = initTRPC
	.context<Context>()
	.meta<Meta>()
	.create({
		transformer: superjson,
		errorFormatter({ shape, error }) {
			const zod = error.cause instanceof ZodError ? error.cause : null;
			return {
				...shape,
				// "username: Too small: expected string to have >=1 characters" instead of a JSON dump.
				message: zod
					? zod.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
					: shape.message === TRPC_BATCH_TOO_LARGE
						? 'batch: too many messages in one frame (the limit is SQUELCH_WS_MAX_SUBSCRIPTIONS)'
						: shape.message,
				data: {
					...shape.data,
					fields: zod ? zod.issues.map((i) => i.path.join('.')) : undefined,
					retryAfterSec:
						error.cause instanceof ServiceError ? error.cause.retryAfterSec : undefined,
					...(error.cause instanceof ServiceError ? error.cause.details : undefined)
				}
			};
		}
	});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Service refusals (ServiceError) become tRPC errors with the same code and message. */
const mapServiceErrors = t.middleware(async ({ next }) => {
	const result = await next();
	if (!result.ok && result.error.cause instanceof ServiceError) {
		const cause = result.error.cause;
		throw new TRPCError({ code: cause.code, message: cause.message, cause });
	}
	return result;
});

// A socket's subscription limit is kept by the socket server (realtime/trpc-socket.ts).
const base = t.procedure.use(mapServiceErrors);

export const publicProcedure = base.meta({ access: 'public' });

const requireViewer = t.middleware(({ ctx, next }) => {
	if (!ctx.viewer) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in required' });
	return next({ ctx: { ...ctx, viewer: ctx.viewer as Viewer } });
});

/** Any signed-in user, for their own account. */
export const authedProcedure = base.meta({ access: 'authed' }).use(requireViewer);

/**
 * Listening (live, archive, audio). Signed-in users; anonymous callers only when public
 * listening is on. The viewer is null for an anonymous listener: check access with calls/access.
 */
export const listenerProcedure = base.meta({ access: 'listener' }).use(async ({ ctx, next }) => {
	if (ctx.viewer) return next({ ctx: { ...ctx, viewer: ctx.viewer as Viewer | null } });
	if (await publicListening(ctx)) return next({ ctx: { ...ctx, viewer: null as Viewer | null } });
	throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in required' });
});

export const adminProcedure = base
	.meta({ access: 'admin' })
	.use(requireViewer)
	.use(({ ctx, next }) => {
		if (ctx.viewer?.role !== 'admin')
			throw new TRPCError({ code: 'FORBIDDEN', message: 'admins only' });
		return next();
	});

async function publicListening(ctx: Context): Promise<boolean> {
	return (await getSettings(ctx.services.db)).publicListening;
}

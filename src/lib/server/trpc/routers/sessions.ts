import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, router } from '../init';
import { listSessions, revokeSession, revokeUserSessions } from '../../auth/sessions';

export const sessionsRouter = router({
	list: authedProcedure.query(({ ctx }) =>
		listSessions(ctx.services, ctx.viewer.userId, ctx.viewer.sessionId)
	),

	revoke: authedProcedure
		.input(z.object({ id: z.string().min(1).max(64) }))
		.mutation(async ({ ctx, input }) => {
			const own = await ctx.services.db
				.selectFrom('sessions')
				.select('id')
				.where('id', '=', input.id)
				.where('user_id', '=', ctx.viewer.userId)
				.executeTakeFirst();
			// Someone else's session looks exactly like a missing one.
			if (!own) throw new TRPCError({ code: 'NOT_FOUND', message: 'id: no such session' });
			// The user signing out one of their own devices: 'logout' (the device is told so), not 'admin'.
			await revokeSession(ctx.services, input.id, 'logout');
			return { ok: true as const };
		}),

	revokeOthers: authedProcedure.mutation(async ({ ctx }) => {
		const count = await revokeUserSessions(
			ctx.services,
			ctx.viewer.userId,
			'logout',
			ctx.viewer.sessionId
		);
		return { ok: true as const, revoked: count };
	})
});

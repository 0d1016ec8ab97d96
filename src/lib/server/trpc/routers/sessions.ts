import { z } from 'zod';
import { authedProcedure, router } from '../init';
import { listSessions, revokeUserSessions } from '../../auth/sessions';
import { revokeOwnSession } from '../../auth/profile';

export const sessionsRouter = router({
	list: authedProcedure.query(({ ctx }) =>
		listSessions(ctx.services, ctx.viewer.userId, ctx.viewer.sessionId)
	),

	revoke: authedProcedure
		.input(z.object({ id: z.string().min(1).max(64) }))
		.mutation(async ({ ctx, input }) => {
			await revokeOwnSession(ctx.services, ctx.viewer.userId, input.id);
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

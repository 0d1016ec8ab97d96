import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import { listDevices, revokeAllDevices, revokeDevice } from '../../../admin/devices';

export const adminSessionsRouter = router({
	list: adminProcedure
		.input(z.object({ userId: z.number().int().positive().optional() }).optional())
		.query(({ ctx, input }) =>
			listDevices(ctx.services, { userId: input?.userId, currentSessionId: ctx.viewer.sessionId })
		),

	revoke: adminProcedure
		.input(z.object({ id: z.string().min(1).max(64) }))
		.mutation(async ({ ctx, input }) => {
			await revokeDevice(ctx.services, input.id);
			return { ok: true as const };
		}),

	revokeAll: adminProcedure
		.input(z.object({ userId: z.number().int().positive() }))
		.mutation(async ({ ctx, input }) => {
			const revoked = await revokeAllDevices(ctx.services, input.userId, ctx.viewer);
			return { ok: true as const, revoked };
		})
});

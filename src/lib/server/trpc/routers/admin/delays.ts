import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import {
	delayOverview,
	MAX_DELAY_MINUTES,
	setDelayExempt,
	setSystemDelay,
	setTalkgroupDelay
} from '../../../admin/delays';

const id = z.number().int().positive();
const minutes = z.number().int().min(0).max(MAX_DELAY_MINUTES);

/** Broadcast delay (docs/audio.md). Ids are database ids. */
export const adminDelaysRouter = router({
	get: adminProcedure.query(({ ctx }) => delayOverview(ctx.services.db, ctx.services.clock.now())),
	setSystem: adminProcedure
		.input(z.object({ systemId: id, minutes }))
		.mutation(async ({ ctx, input }) => {
			await setSystemDelay(ctx.services, input.systemId, input.minutes);
			return { ok: true as const };
		}),
	setTalkgroup: adminProcedure
		.input(z.object({ talkgroupId: id, minutes }))
		.mutation(async ({ ctx, input }) => {
			await setTalkgroupDelay(ctx.services, input.talkgroupId, input.minutes);
			return { ok: true as const };
		}),
	setUserExempt: adminProcedure
		.input(z.object({ userId: id, exempt: z.boolean() }))
		.mutation(async ({ ctx, input }) => {
			await setDelayExempt(ctx.services, input.userId, input.exempt);
			return { ok: true as const };
		})
});

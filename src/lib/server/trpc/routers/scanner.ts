import { z } from 'zod';
import { authedProcedure, router } from '../init';
import { getMuted, MAX_MUTED, setMuted } from '../../scanner/selection';

const radioId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const talkgroupRef = z.object({ system: radioId, talkgroup: radioId });

/** The scanner's per-user settings. Anonymous listeners keep theirs in the browser. */
export const scannerRouter = router({
	selection: router({
		/** The talkgroups this user turned off (radio numbers). */
		get: authedProcedure.query(async ({ ctx }) => ({
			muted: await getMuted(ctx.services.db, ctx.viewer.userId)
		})),

		/** Replaces the selection; the user's live streams pick it up at once. */
		set: authedProcedure
			.input(z.object({ muted: z.array(talkgroupRef).max(MAX_MUTED) }))
			.mutation(async ({ ctx, input }) => {
				return { muted: await setMuted(ctx.services, ctx.viewer.userId, input.muted) };
			})
	})
});

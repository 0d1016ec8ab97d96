import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, listenerProcedure, router } from '../init';
import { accessScope, audibleScope } from '../../calls/access';
import { getCall, searchCalls, setBookmark, visibleSystems } from '../../calls/search';

const radioId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const callId = z.number().int().positive();
const notFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'no such call' });

/** Every filter is optional; calls.search() alone gives the newest 50. */
const searchInput = z.object({
	limit: z.number().int().min(1).max(100).default(50),
	cursor: z.string().max(200).nullish(),
	systems: z.array(radioId).max(500).optional(),
	talkgroups: z.array(radioId).max(2000).optional(),
	groups: z.array(z.string().max(200)).max(200).optional(),
	tags: z.array(z.string().max(200)).max(200).optional(),
	unit: radioId.optional(),
	from: z.date().optional(),
	to: z.date().optional(),
	emergency: z.boolean().optional(),
	bookmarked: z.boolean().optional(),
	q: z.string().max(200).optional()
});

export const callsRouter = router({
	/** The archive, newest first, with a keyset cursor (stable while new calls arrive). */
	search: listenerProcedure.input(searchInput.optional()).query(async ({ ctx, input }) => {
		const scope = await audibleScope(ctx.services, ctx.viewer);
		return searchCalls(
			ctx.services.db,
			scope,
			ctx.viewer?.userId ?? null,
			input ?? searchInput.parse({})
		);
	}),

	get: listenerProcedure.input(z.object({ id: callId })).query(async ({ ctx, input }) => {
		const scope = await audibleScope(ctx.services, ctx.viewer);
		return (
			(await getCall(ctx.services.db, scope, ctx.viewer?.userId ?? null, input.id)) ??
			Promise.reject(notFound())
		);
	}),

	/** Toggles the caller's bookmark (or sets it, with `bookmarked`). Accounts only. */
	bookmark: authedProcedure
		.input(z.object({ id: callId, bookmarked: z.boolean().optional() }))
		.mutation(async ({ ctx, input }) => {
			const scope = await audibleScope(ctx.services, ctx.viewer);
			return (
				(await setBookmark(ctx.services, scope, ctx.viewer.userId, input.id, input.bookmarked)) ??
				Promise.reject(notFound())
			);
		}),

	/** Systems and talkgroups the caller may hear (radio numbers), for pickers and filters. */
	systems: listenerProcedure.query(async ({ ctx }) =>
		visibleSystems(ctx.services.db, await accessScope(ctx.services.db, ctx.viewer))
	)
});

import { z } from 'zod';
import { adminProcedure, authedProcedure, router } from '../init';
import type { Context } from '../context';
import { ServiceError } from '../../core/errors';
import { getSettings } from '../../core/settings';
import {
	createShare,
	listShares,
	revokeShare,
	sharePath,
	TOKEN_PATTERN,
	type ShareTarget
} from '../../share/links';

const radioId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const token = z.string().regex(TOKEN_PATTERN, 'is not a share token');

/** One call (`callId`) or an incident (`systems`, `talkgroups`, `from`, `to`); never both. */
const createInput = z
	.object({
		callId: z.number().int().positive().optional(),
		systems: z.array(radioId).min(1).max(50).optional(),
		talkgroups: z.array(radioId).min(1).max(50).optional(),
		from: z.date().optional(),
		to: z.date().optional(),
		/** Seconds; null never expires (unless the admin caps it). 1 day when left out. */
		expiresIn: z.number().int().min(60).max(315_360_000).nullable().default(86_400)
	})
	.strict();

function target(input: z.infer<typeof createInput>): ShareTarget {
	const { callId, systems, talkgroups, from, to } = input;
	const incident = systems ?? talkgroups ?? from ?? to;
	if (callId !== undefined) {
		if (incident !== undefined)
			throw new ServiceError('BAD_REQUEST', 'callId: give either callId or an incident, not both');
		return { callId };
	}
	for (const [name, value] of Object.entries({ systems, talkgroups, from, to }))
		if (value === undefined) throw new ServiceError('BAD_REQUEST', `${name}: is required`);
	return { systems: systems!, talkgroups: talkgroups!, from: from!, to: to! };
}

/** The public origin the link is on: ORIGIN when set, else the page's (a browser's Origin header), else the request's. */
function origin(ctx: Context): string {
	const sent = ctx.http?.event.request.headers.get('origin');
	const page = sent && /^https?:\/\/[^/\s]+$/.test(sent) ? sent : null;
	return ctx.services.config.origin ?? page ?? ctx.http?.event.url.origin ?? '';
}

export const shareRouter = router({
	/** What the share dialog may offer. */
	options: authedProcedure.query(async ({ ctx }) => {
		const s = await getSettings(ctx.services.db);
		return {
			enabled: s.shareEnabled,
			maxExpirySec: s.shareMaxExpirySec,
			maxCalls: s.shareMaxCalls
		};
	}),

	create: authedProcedure.input(createInput).mutation(async ({ ctx, input }) => {
		const made = await createShare(ctx.services, ctx.viewer, target(input), input.expiresIn);
		return { ...made, url: origin(ctx) + sharePath(made.token) };
	}),

	/** The caller's own links, newest first, with view counts. */
	list: authedProcedure.query(({ ctx }) => listShares(ctx.services, ctx.viewer.userId)),

	/** The owner revokes their link; an admin revokes any. */
	revoke: authedProcedure.input(z.object({ token })).mutation(async ({ ctx, input }) => {
		await revokeShare(ctx.services, ctx.viewer, input.token);
		return { ok: true as const };
	})
});

export const adminSharesRouter = router({
	/** Every user's links, newest first. */
	list: adminProcedure.query(({ ctx }) => listShares(ctx.services, null))
});

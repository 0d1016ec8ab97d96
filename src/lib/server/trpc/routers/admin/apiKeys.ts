import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import { createApiKey, deleteApiKey, listApiKeys, updateApiKey } from '../../../calls/upload-keys';

const name = z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters');
const systems = z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).max(1000);
const rateLimit = z.number().int().min(1).max(100_000);
const id = z.number().int().positive();

const notFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'no such API key' });

/** Recorder upload keys (admin only). The key itself is returned once, by create. */
export const adminApiKeysRouter = router({
	list: adminProcedure.query(({ ctx }) => listApiKeys(ctx.services.db)),

	create: adminProcedure
		.input(z.object({ name, systems: systems.optional(), rateLimit: rateLimit.nullish() }))
		.mutation(({ ctx, input }) => createApiKey(ctx.services, input)),

	/** Rename, restrict to systems (null or [] = all), set a rate limit (null = default), disable/enable. */
	update: adminProcedure
		.input(
			z.object({
				id,
				name: name.optional(),
				systems: systems.nullish(),
				rateLimit: rateLimit.nullish(),
				disabled: z.boolean().optional()
			})
		)
		.mutation(async ({ ctx, input }) => {
			const { id: keyId, ...patch } = input;
			return (await updateApiKey(ctx.services.db, keyId, patch)) ?? Promise.reject(notFound());
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		if (!(await deleteApiKey(ctx.services.db, input.id))) throw notFound();
		return { ok: true as const };
	})
});

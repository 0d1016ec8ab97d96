import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import {
	createSystem,
	deleteSystem,
	deleteTalkgroup,
	exportTalkgroups,
	importTalkgroups,
	listSystems,
	updateSystem,
	updateTalkgroup,
	updateUnit
} from '../../../admin/systems';

/** Ids are database ids; `*Ref` are the radio's own numbers. */
const id = z.number().int().positive();
const text = z.string().trim().max(200, 'must be at most 200 characters');
const sortOrder = z.number().int().min(-1_000_000).max(1_000_000);
const radioNumber = z.number().int().min(0).max(2_147_483_647);

export const adminSystemsRouter = router({
	list: adminProcedure.query(({ ctx }) => listSystems(ctx.services.db)),

	create: adminProcedure
		.input(
			z.object({
				systemRef: radioNumber,
				label: text,
				autoPopulate: z.boolean().optional(),
				sortOrder: sortOrder.optional()
			})
		)
		.mutation(async ({ ctx, input }) => ({ id: await createSystem(ctx.services, input) })),

	update: adminProcedure
		.input(
			z.object({
				id,
				label: text.optional(),
				sortOrder: sortOrder.optional(),
				autoPopulate: z.boolean().optional()
			})
		)
		.mutation(async ({ ctx, input: { id, ...patch } }) => {
			await updateSystem(ctx.services, id, patch);
			return { ok: true as const };
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		await deleteSystem(ctx.services, input.id);
		return { ok: true as const };
	})
});

export const adminTalkgroupsRouter = router({
	update: adminProcedure
		.input(
			z.object({
				id,
				label: text.optional(),
				name: text.optional(),
				group: text.optional(),
				tag: text.optional(),
				mode: z.string().trim().max(8, 'must be at most 8 characters').optional(),
				priority: z.number().int().min(-1000).max(1000).nullable().optional(),
				sortOrder: sortOrder.optional()
			})
		)
		.mutation(async ({ ctx, input: { id, ...patch } }) => {
			await updateTalkgroup(ctx.services, id, patch);
			return { ok: true as const };
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		await deleteTalkgroup(ctx.services, input.id);
		return { ok: true as const };
	}),

	/** Trunk-Recorder talkgroup CSV text (see docs/admin.md), merged into one system. */
	importCsv: adminProcedure
		.input(
			z.object({
				systemId: id,
				csv: z
					.string()
					.min(1, 'is required')
					.max(1_000_000, 'must be at most 1 MB (about 20,000 talkgroups)')
			})
		)
		.mutation(({ ctx, input }) => importTalkgroups(ctx.services, input.systemId, input.csv)),

	exportCsv: adminProcedure
		.input(z.object({ systemId: id }))
		.query(({ ctx, input }) => exportTalkgroups(ctx.services.db, input.systemId))
});

export const adminUnitsRouter = router({
	update: adminProcedure.input(z.object({ id, alias: text })).mutation(async ({ ctx, input }) => {
		await updateUnit(ctx.services, input.id, input.alias);
		return { ok: true as const };
	})
});

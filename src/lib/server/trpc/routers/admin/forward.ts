import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import { createTarget, deleteTarget, listTargets, updateTarget } from '../../../forward/targets';

const id = z.number().int().positive();
const radio = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const idMap = z
	.record(z.string().regex(/^\d{1,15}$/, 'keys are radio numbers'), radio)
	.refine((m) => Object.keys(m).length <= 1000, 'at most 1000 entries');
const fields = z.object({
	name: z.string().trim().min(1).max(100),
	url: z.string().trim().min(1).max(500),
	apiKey: z.string().min(1).max(500),
	systems: z.array(radio).max(500).nullable(),
	talkgroups: z.array(radio).max(5000).nullable(),
	systemMap: idMap,
	talkgroupMap: idMap,
	enabled: z.boolean()
});
const target = fields.extend({
	systems: fields.shape.systems.default(null),
	talkgroups: fields.shape.talkgroups.default(null),
	systemMap: idMap.default({}),
	talkgroupMap: idMap.default({}),
	enabled: z.boolean().default(true)
});

/** Downstream forwarding targets (forward/). */
export const adminForwardRouter = router({
	list: adminProcedure.query(({ ctx }) => listTargets(ctx.services.db)),

	create: adminProcedure.input(target).mutation(async ({ ctx, input }) => ({
		id: await createTarget(ctx.services, input)
	})),

	update: adminProcedure
		.input(fields.partial().extend({ id }))
		.mutation(async ({ ctx, input: { id, ...patch } }) => {
			await updateTarget(ctx.services.db, id, patch);
			return { ok: true as const };
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		await deleteTarget(ctx.services.db, input.id);
		return { ok: true as const };
	})
});

import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import {
	createWatchFolder,
	deleteWatchFolder,
	listWatchFolders,
	updateWatchFolder
} from '../../../calls/watch-folders';

const id = z.number().int().positive();
const fields = z.object({
	path: z.string().trim().min(1).max(1024),
	format: z.enum(['trunk-recorder', 'sdrtrunk']),
	system: z.number().int().positive().max(999_999_999),
	apiKeyId: id,
	mode: z.enum(['leave', 'move']),
	enabled: z.boolean()
});

/** Folders folder ingest watches (calls/watch-folders.ts); changes apply on the next scan. */
export const adminWatchFoldersRouter = router({
	list: adminProcedure.query(({ ctx }) => listWatchFolders(ctx.services)),

	create: adminProcedure
		.input(
			fields.extend({
				mode: fields.shape.mode.default('leave'),
				enabled: z.boolean().default(true)
			})
		)
		.mutation(async ({ ctx, input }) => ({ id: await createWatchFolder(ctx.services, input) })),

	update: adminProcedure
		.input(fields.partial().extend({ id }))
		.mutation(async ({ ctx, input: { id, ...patch } }) => {
			await updateWatchFolder(ctx.services, id, patch);
			return { ok: true as const };
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		await deleteWatchFolder(ctx.services.db, input.id);
		return { ok: true as const };
	})
});

import { z } from 'zod';
import { publicProcedure, router } from '../init';
import { insertUser, needsSetup } from '../../auth/accounts';
import { passwordSchema, usernameSchema } from '../schemas';

export const setupRouter = router({
	status: publicProcedure.query(async ({ ctx }) => ({
		needsSetup: await needsSetup(ctx.services.db)
	})),

	createAdmin: publicProcedure
		.input(z.object({ username: usernameSchema, password: passwordSchema }))
		.mutation(async ({ ctx, input }) => {
			await insertUser(ctx.services, { ...input, role: 'admin' }, true);
			return { ok: true as const };
		})
});

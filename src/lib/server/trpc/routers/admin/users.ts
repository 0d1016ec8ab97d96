import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import { insertUser } from '../../../auth/accounts';
import { passwordSchema, usernameSchema } from '../../schemas';

export const adminUsersRouter = router({
	create: adminProcedure
		.input(z.object({ username: usernameSchema, password: passwordSchema, role: z.enum(['admin', 'listener']) }))
		.mutation(async ({ ctx, input }) => ({ id: await insertUser(ctx.services, input) }))
});

import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import {
	createUser,
	deleteUser,
	listUsers,
	resetPassword,
	setUserAccess,
	updateUser
} from '../../../admin/users';
import { passwordSchema, usernameSchema } from '../../schemas';

const id = z.number().int().positive();
const role = z.enum(['admin', 'listener']);
/** Database ids (admin.systems.list), not radio numbers. */
const ids = z.array(id).max(10_000);
const access = z.object({ systems: ids, talkgroups: ids });

export const adminUsersRouter = router({
	list: adminProcedure.query(({ ctx }) => listUsers(ctx.services)),

	create: adminProcedure
		.input(
			z.object({
				username: usernameSchema,
				password: passwordSchema,
				role,
				mustChangePassword: z.boolean().optional(),
				expiresAt: z.date().nullable().optional(),
				accessAll: z.boolean().optional(),
				access: access.optional()
			})
		)
		.mutation(async ({ ctx, input }) => ({
			id: await createUser(ctx.services, ctx.viewer.userId, input)
		})),

	update: adminProcedure
		.input(
			z.object({
				id,
				username: usernameSchema.optional(),
				role: role.optional(),
				disabled: z.boolean().optional(),
				expiresAt: z.date().nullable().optional()
			})
		)
		.mutation(({ ctx, input: { id, ...patch } }) =>
			updateUser(ctx.services, ctx.viewer.userId, id, patch)
		),

	setAccess: adminProcedure
		.input(
			z.object({
				id,
				accessAll: z.boolean(),
				systems: ids.default([]),
				talkgroups: ids.default([])
			})
		)
		.mutation(({ ctx, input: { id, ...rest } }) =>
			setUserAccess(ctx.services, ctx.viewer.userId, id, rest)
		),

	resetPassword: adminProcedure
		.input(z.object({ id, password: passwordSchema }))
		.mutation(async ({ ctx, input }) => {
			await resetPassword(ctx.services, ctx.viewer.userId, input.id, input.password);
			return { ok: true as const };
		}),

	delete: adminProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
		await deleteUser(ctx.services, ctx.viewer.userId, input.id);
		return { ok: true as const };
	})
});

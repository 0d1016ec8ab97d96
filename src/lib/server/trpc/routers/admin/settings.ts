import { adminProcedure, router } from '../../init';
import { getSettings, settingsSchema, updateSettings } from '../../../core/settings';

export const adminSettingsRouter = router({
	get: adminProcedure.query(({ ctx }) => getSettings(ctx.services.db)),

	/** Any subset of the settings; an unknown key or a value out of range is BAD_REQUEST naming it. */
	update: adminProcedure
		.input(settingsSchema.partial().strict())
		.mutation(({ ctx, input }) => updateSettings(ctx.services, input))
});

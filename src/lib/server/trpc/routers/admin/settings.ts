import { adminProcedure, router } from '../../init';
import {
	getSettings,
	settingsSchema,
	updateSettings,
	withoutSecrets
} from '../../../core/settings';

export const adminSettingsRouter = router({
	/** The settings, with the transcription API key replaced by whether one is set. */
	get: adminProcedure.query(async ({ ctx }) => withoutSecrets(await getSettings(ctx.services.db))),

	/** Any subset of the settings; an unknown key or a value out of range is BAD_REQUEST naming it. */
	update: adminProcedure
		.input(settingsSchema.partial().strict())
		.mutation(async ({ ctx, input }) => withoutSecrets(await updateSettings(ctx.services, input)))
});

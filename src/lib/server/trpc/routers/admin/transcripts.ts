import { z } from 'zod';
import { adminProcedure, router } from '../../init';
import { retranscribe, transcriptStatus } from '../../../transcripts/status';

const callId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const adminTranscriptsRouter = router({
	/** The engine's health: last success, queue, failures per hour, real-time factor. */
	status: adminProcedure.query(({ ctx }) => transcriptStatus(ctx.services)),

	/** Queues one call, or every call recorded in [from, to], to be transcribed again. */
	retranscribe: adminProcedure
		.input(z.union([z.object({ callId }), z.object({ from: z.date(), to: z.date() })]))
		.mutation(({ ctx, input }) => retranscribe(ctx.services, input))
});

import { tracked } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure } from '../../init';
import { streamAdminEvents } from '../../../live/events-stream';
import { parseEventId } from '../../../live/resumable';
import { lastEventIdSchema, requireWebSocket } from '../live';

/**
 * admin.events: the persisted event log (sessions, users, uploads, listener counts), then live.
 * Without `lastEventId` it starts with the latest few events; with it, with what was missed.
 */
export const adminEventsProcedure = adminProcedure
	.input(z.object({ lastEventId: lastEventIdSchema }).optional())
	.subscription(async function* ({ ctx, input, signal }) {
		requireWebSocket(ctx);
		const events = streamAdminEvents(ctx.services, {
			lastEventId: parseEventId(input?.lastEventId),
			signal
		});
		for await (const event of events)
			yield tracked(String(event.id), { ...event, at: new Date(event.at) });
	});

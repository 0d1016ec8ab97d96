import { tracked } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, router } from '../init';
import { lastEventIdSchema, requireWebSocket } from './live';
import { parseEventId } from '../../live/resumable';
import {
	createRule,
	deleteRule,
	listRules,
	MAX_COOLDOWN_SECONDS,
	MAX_LABEL,
	MAX_LIST,
	MAX_NAME,
	SOUNDS,
	updateRule
} from '../../alerts/rules';
import { loadVapidKeys, subscribePush, unsubscribePush } from '../../alerts/push';
import { MAX_ENDPOINT } from '../../alerts/push-endpoint';
import { MAX_KEYWORD_LENGTH, MAX_KEYWORDS } from '../../alerts/keywords';
import { ALERT_BACKLOG, recentAlerts, streamAlerts } from '../../alerts/stream';

const radioId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const label = z.string().max(MAX_LABEL);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');

const ruleInput = z.object({
	name: z.string().min(1).max(MAX_NAME),
	systems: z.array(radioId).max(MAX_LIST).default([]),
	talkgroups: z.array(radioId).max(MAX_LIST).default([]),
	units: z.array(radioId).max(MAX_LIST).default([]),
	groups: z.array(label).max(MAX_LIST).default([]),
	tags: z.array(label).max(MAX_LIST).default([]),
	emergency: z.boolean().default(false),
	keywords: z.array(z.string().min(1).max(MAX_KEYWORD_LENGTH)).max(MAX_KEYWORDS).default([]),
	sound: z.enum(SOUNDS).default('beep'),
	cooldownSeconds: z.number().int().min(0).max(MAX_COOLDOWN_SECONDS).default(300),
	quietHours: z
		.object({ start: hhmm, end: hhmm, timeZone: z.string().min(1).max(64) })
		.nullable()
		.default(null)
});

const ruleId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const b64url = z.string().min(1).max(200);

/** Alerts: the caller's rules, their devices' push subscriptions, and their in-page alerts. */
export const alertsRouter = router({
	rules: router({
		list: authedProcedure.query(({ ctx }) => listRules(ctx.services.db, ctx.viewer.userId)),
		create: authedProcedure
			.input(ruleInput)
			.mutation(({ ctx, input }) => createRule(ctx.services, ctx.viewer.userId, input)),
		update: authedProcedure
			.input(ruleInput.extend({ id: ruleId }))
			.mutation(({ ctx, input: { id, ...rule } }) =>
				updateRule(ctx.services, ctx.viewer.userId, id, rule)
			),
		delete: authedProcedure.input(z.object({ id: ruleId })).mutation(async ({ ctx, input }) => {
			await deleteRule(ctx.services, ctx.viewer.userId, input.id);
			return { ok: true as const };
		})
	}),

	push: router({
		/** The server's VAPID public key (base64url), the browser's applicationServerKey. */
		publicKey: authedProcedure.query(async ({ ctx }) => ({
			publicKey: (await loadVapidKeys(ctx.services.db, ctx.services.clock)).publicKey
		})),
		/** Binds this browser's push subscription to the calling session (device). */
		subscribe: authedProcedure
			.input(
				z.object({
					endpoint: z.string().min(1).max(MAX_ENDPOINT),
					keys: z.object({ p256dh: b64url, auth: b64url })
				})
			)
			.mutation(async ({ ctx, input }) => {
				await subscribePush(
					ctx.services,
					{ userId: ctx.viewer.userId, sessionId: ctx.viewer.sessionId },
					input
				);
				return { ok: true as const };
			}),
		unsubscribe: authedProcedure
			.input(z.object({ endpoint: z.string().min(1).max(MAX_ENDPOINT) }))
			.mutation(async ({ ctx, input }) => ({
				removed: await unsubscribePush(ctx.services.db, ctx.viewer.userId, input.endpoint)
			}))
	}),

	/** The caller's latest alerts, newest last (the Alerts page's list). */
	recent: authedProcedure.query(({ ctx }) =>
		recentAlerts(ctx.services.db, ctx.viewer.userId, { limit: ALERT_BACKLOG })
	),

	/**
	 * The tab's in-page alerts, each as `tracked(String(alert.id), alert)` on the shared
	 * WebSocket; resumes after `lastEventId` with what was missed.
	 */
	live: authedProcedure
		.input(z.object({ lastEventId: lastEventIdSchema }).optional())
		.subscription(async function* ({ ctx, input, signal }) {
			requireWebSocket(ctx);
			const alerts = streamAlerts(ctx.services, ctx.viewer.userId, {
				lastEventId: parseEventId(input?.lastEventId),
				signal
			});
			for await (const alert of alerts) yield tracked(String(alert.id), alert);
		})
});

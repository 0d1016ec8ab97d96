import { ServiceError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { caseInsensitive } from '../core/db/dialect';
import type { Bus } from '../core/bus';

/**
 * Broadcast delay as admins set it (docs/audio.md): minutes per system and per talkgroup (the
 * longer applies) and who is exempt. A delay applies to calls stored after it is set; a call
 * already waiting keeps the due time it was given.
 */
export interface DelayDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

export const MAX_DELAY_MINUTES = 1440;

export interface DelayOverview {
	systems: Array<{
		id: number;
		systemRef: number;
		label: string;
		delayMinutes: number;
		/** Only talkgroups with a delay of their own. */
		talkgroups: Array<{ id: number; talkgroupRef: number; label: string; delayMinutes: number }>;
	}>;
	exemptUsers: Array<{ id: number; username: string }>;
	/** Calls whose audio is ready but which listeners who are not exempt cannot hear yet. */
	waiting: number;
}

export async function delayOverview(db: DB, now: number): Promise<DelayOverview> {
	const systems = await db
		.selectFrom('systems')
		.select(['id', 'system_ref', 'label', 'delay_minutes'])
		.orderBy('sort_order')
		.orderBy('system_ref')
		.execute();
	const talkgroups = await db
		.selectFrom('talkgroups')
		.select(['id', 'system_id', 'talkgroup_ref', 'label', 'delay_minutes'])
		.where('delay_minutes', '>', 0)
		.orderBy('talkgroup_ref')
		.execute();
	const exempt = await db
		.selectFrom('users')
		.select(['id', 'username'])
		.where('delay_exempt', '=', 1)
		.orderBy(caseInsensitive(db, 'username'))
		.execute();
	const waiting = await db
		.selectFrom('calls')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('public_at', 'is', null)
		.where('ready_at', 'is not', null)
		.where('due_at', '>', now)
		.executeTakeFirstOrThrow();
	return {
		systems: systems.map((s) => ({
			id: s.id,
			systemRef: s.system_ref,
			label: s.label,
			delayMinutes: s.delay_minutes,
			talkgroups: talkgroups
				.filter((t) => t.system_id === s.id)
				.map((t) => ({
					id: t.id,
					talkgroupRef: t.talkgroup_ref,
					label: t.label,
					delayMinutes: t.delay_minutes
				}))
		})),
		exemptUsers: exempt,
		waiting: Number(waiting.n)
	};
}

export async function setSystemDelay(deps: DelayDeps, id: number, minutes: number): Promise<void> {
	const result = await deps.db
		.updateTable('systems')
		.set({ delay_minutes: minutes })
		.where('id', '=', id)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) throw new ServiceError('NOT_FOUND', 'no such system');
}

export async function setTalkgroupDelay(
	deps: DelayDeps,
	id: number,
	minutes: number
): Promise<void> {
	const result = await deps.db
		.updateTable('talkgroups')
		.set({ delay_minutes: minutes })
		.where('id', '=', id)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) throw new ServiceError('NOT_FOUND', 'no such talkgroup');
}

/** The user's open streams reconnect (access.changed) and resume with their new audience. */
export async function setDelayExempt(
	deps: DelayDeps,
	userId: number,
	exempt: boolean
): Promise<void> {
	const result = await deps.db
		.updateTable('users')
		.set({ delay_exempt: exempt ? 1 : 0, updated_at: deps.clock.now() })
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) throw new ServiceError('NOT_FOUND', 'no such user');
	deps.bus.publish('access.changed', { userId });
}

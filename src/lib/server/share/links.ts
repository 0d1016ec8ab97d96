import { randomBytes } from 'node:crypto';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { ServiceError } from '../core/errors';
import { recordEvent } from '../core/event-log';
import { getSettings } from '../core/settings';
import type { Viewer } from '../auth/access-token';
import { accessScope, canHear } from '../calls/access';
import { selectCalls } from '../calls/dto';

/**
 * Share links: a public, expiring link to one call or to an incident (talkgroups over a time
 * range). The calls are fixed when the link is made, checked against what the creator may hear;
 * the public page and its audio see those calls and nothing else.
 */

export interface ShareDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
}

export type ShareTarget =
	{ callId: number } | { systems: number[]; talkgroups: number[]; from: Date; to: Date };

/** 128 random bits, URL-safe: 22 characters. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const newShareToken = () => randomBytes(16).toString('base64url');

export const sharePath = (token: string) => `/s/${token}`;

export async function createShare(
	deps: ShareDeps,
	viewer: Viewer,
	target: ShareTarget,
	expiresIn: number | null
): Promise<{ token: string; expiresAt: number | null; calls: number }> {
	const settings = await getSettings(deps.db);
	if (!settings.shareEnabled) throw new ServiceError('FORBIDDEN', 'sharing is turned off');
	const cap = settings.shareMaxExpirySec;
	if (cap !== null && (expiresIn === null || expiresIn > cap))
		throw new ServiceError('BAD_REQUEST', `expiresIn: at most ${cap} seconds on this server`);

	const calls = await pickCalls(deps.db, viewer, target, settings.shareMaxCalls);
	const labels = [...new Set(calls.map((c) => c.tg_label || c.tg_name || `TG ${c.talkgroup_ref}`))];
	const now = deps.clock.now();
	const token = newShareToken();
	const expiresAt = expiresIn === null ? null : now + expiresIn * 1000;
	const link = await deps.db.transaction().execute(async (trx) => {
		const row = await trx
			.insertInto('share_links')
			.values({
				token,
				user_id: viewer.userId,
				kind: 'callId' in target ? 'call' : 'incident',
				title: labels.join(', ').slice(0, 200),
				from_ms: calls[0].date_time,
				to_ms: calls[calls.length - 1].date_time,
				created_at: now,
				expires_at: expiresAt,
				revoked_at: null,
				last_viewed_at: null
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		await trx
			.insertInto('share_link_calls')
			.values(calls.map((c) => ({ link_id: row.id, call_id: c.id })))
			.execute();
		return row;
	});
	await recordEvent(deps, 'share.created', {
		userId: viewer.userId,
		linkId: link.id,
		calls: calls.length,
		expiresAt
	});
	return { token, expiresAt, calls: calls.length };
}

/**
 * The calls a new link will show, oldest first. Every one must be a call the creator may hear:
 * an incident that includes a single call they could not hear is refused, not quietly trimmed.
 */
async function pickCalls(db: DB, viewer: Viewer, target: ShareTarget, maxCalls: number) {
	const scope = await accessScope(db, viewer);
	let query = selectCalls(db);
	if ('callId' in target) query = query.where('calls.id', '=', target.callId);
	else {
		if (target.to.getTime() < target.from.getTime())
			throw new ServiceError('BAD_REQUEST', 'to: must not be before from');
		query = query
			.where('systems.system_ref', 'in', target.systems)
			.where('talkgroups.talkgroup_ref', 'in', target.talkgroups)
			.where('calls.date_time', '>=', target.from.getTime())
			.where('calls.date_time', '<=', target.to.getTime());
	}
	const rows = await query
		.orderBy('calls.date_time', 'asc')
		.orderBy('calls.id', 'asc')
		.limit(maxCalls + 1)
		.execute();
	const heard = rows.filter((r) => canHear(scope, r.system_id, r.talkgroup_id));
	if ('callId' in target && !heard.length) throw new ServiceError('NOT_FOUND', 'no such call');
	if (heard.length < rows.length)
		throw new ServiceError('FORBIDDEN', 'the range holds calls you may not hear');
	if (!rows.length) throw new ServiceError('BAD_REQUEST', 'from: no calls in that range');
	if (rows.length > maxCalls)
		throw new ServiceError(
			'BAD_REQUEST',
			`to: the range holds more than ${maxCalls} calls; choose a shorter one`
		);
	return rows;
}

export interface ShareLinkSummary {
	token: string;
	path: string;
	kind: 'call' | 'incident';
	title: string;
	from: number;
	to: number;
	calls: number;
	createdAt: number;
	expiresAt: number | null;
	revokedAt: number | null;
	state: 'live' | 'expired' | 'revoked';
	views: number;
	lastViewedAt: number | null;
	owner: { id: number; username: string };
}

/** One user's links, or (userId null) every link, newest first; bounded. */
export async function listShares(
	deps: Pick<ShareDeps, 'db' | 'clock'>,
	userId: number | null,
	limit = 500
): Promise<ShareLinkSummary[]> {
	let query = deps.db
		.selectFrom('share_links')
		.innerJoin('users', 'users.id', 'share_links.user_id')
		.select((eb) => [
			'share_links.id',
			'share_links.token',
			'share_links.kind',
			'share_links.title',
			'share_links.from_ms',
			'share_links.to_ms',
			'share_links.created_at',
			'share_links.expires_at',
			'share_links.revoked_at',
			'share_links.views',
			'share_links.last_viewed_at',
			'share_links.user_id',
			'users.username',
			eb
				.selectFrom('share_link_calls')
				.select((e) => e.fn.countAll<number>().as('n'))
				.whereRef('share_link_calls.link_id', '=', 'share_links.id')
				.as('calls')
		])
		.orderBy('share_links.id', 'desc')
		.limit(limit);
	if (userId !== null) query = query.where('share_links.user_id', '=', userId);
	const now = deps.clock.now();
	return (await query.execute()).map((r) => ({
		token: r.token,
		path: sharePath(r.token),
		kind: r.kind,
		title: r.title,
		from: r.from_ms,
		to: r.to_ms,
		calls: Number(r.calls ?? 0),
		createdAt: r.created_at,
		expiresAt: r.expires_at,
		revokedAt: r.revoked_at,
		state: linkState(r, now),
		views: r.views,
		lastViewedAt: r.last_viewed_at,
		owner: { id: r.user_id, username: r.username }
	}));
}

function linkState(
	r: { revoked_at: number | null; expires_at: number | null },
	now: number
): 'live' | 'expired' | 'revoked' {
	if (r.revoked_at !== null) return 'revoked';
	if (r.expires_at !== null && r.expires_at <= now) return 'expired';
	return 'live';
}

/** Revokes a link: its owner's own, or any link for an admin. Someone else's is NOT_FOUND. */
export async function revokeShare(deps: ShareDeps, viewer: Viewer, token: string): Promise<void> {
	const link = await deps.db
		.selectFrom('share_links')
		.select(['id', 'user_id', 'revoked_at'])
		.where('token', '=', token)
		.executeTakeFirst();
	if (!link || (link.user_id !== viewer.userId && viewer.role !== 'admin'))
		throw new ServiceError('NOT_FOUND', 'no such share link');
	if (link.revoked_at !== null) return;
	// Conditional: of two revokes at once (two instances), one writes and logs.
	const result = await deps.db
		.updateTable('share_links')
		.set({ revoked_at: deps.clock.now() })
		.where('id', '=', link.id)
		.where('revoked_at', 'is', null)
		.executeTakeFirst();
	if (!Number(result.numUpdatedRows)) return;
	await recordEvent(deps, 'share.revoked', {
		userId: viewer.userId,
		linkId: link.id,
		owner: link.user_id
	});
}

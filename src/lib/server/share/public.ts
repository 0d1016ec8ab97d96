import type { DB } from '../core/db';
import { recordEvent } from '../core/event-log';
import { getSettings } from '../core/settings';
import { selectCalls } from '../calls/dto';
import { TOKEN_PATTERN, type ShareDeps } from './links';

/**
 * What a share link shows to anyone holding it: its calls and nothing else (no unit aliases, no
 * search, no other call's metadata). Every lookup goes through the token.
 */

export interface SharedCall {
	id: number;
	/** Epoch ms. */
	dateTime: number;
	system: string;
	talkgroup: { id: number; label: string; name: string };
	/** Seconds. */
	duration: number;
	audioUrl: string;
	audioType: string;
}

export interface SharedView {
	token: string;
	kind: 'call' | 'incident';
	title: string;
	from: number;
	to: number;
	expiresAt: number | null;
	calls: SharedCall[];
}

export type ShareOutcome =
	| { status: 200; view: SharedView }
	| { status: 403 | 404 | 410; reason: 'off' | 'unknown' | 'revoked' | 'expired' };

type LinkRow = { id: number; revoked_at: number | null; expires_at: number | null };

async function findLink(deps: Pick<ShareDeps, 'db' | 'clock'>, token: string) {
	if (!(await getSettings(deps.db)).shareEnabled) return { status: 403, reason: 'off' } as const;
	const link = TOKEN_PATTERN.test(token)
		? await deps.db
				.selectFrom('share_links')
				.selectAll()
				.where('token', '=', token)
				.executeTakeFirst()
		: undefined;
	const refusal = refuse(link, deps.clock.now());
	return refusal ?? { status: 200 as const, link: link! };
}

function refuse(link: LinkRow | undefined, now: number) {
	if (!link) return { status: 404, reason: 'unknown' } as const;
	if (link.revoked_at !== null) return { status: 404, reason: 'revoked' } as const;
	if (link.expires_at !== null && link.expires_at <= now)
		return { status: 410, reason: 'expired' } as const;
	return null;
}

/** The page's data; `countView` adds one to the link's views and writes `share.viewed`. */
export async function openShare(
	deps: ShareDeps,
	token: string,
	opts: { countView: boolean }
): Promise<ShareOutcome> {
	const found = await findLink(deps, token);
	if (found.status !== 200) return found;
	const { link } = found;
	const rows = await selectCalls(deps.db)
		.innerJoin('share_link_calls', 'share_link_calls.call_id', 'calls.id')
		.where('share_link_calls.link_id', '=', link.id)
		.orderBy('calls.date_time', 'asc')
		.orderBy('calls.id', 'asc')
		.execute();
	if (opts.countView) {
		const now = deps.clock.now();
		const updated = await deps.db
			.updateTable('share_links')
			.set((eb) => ({ views: eb('views', '+', 1), last_viewed_at: now }))
			.where('id', '=', link.id)
			.returning('views')
			.executeTakeFirst();
		await recordEvent(deps, 'share.viewed', {
			linkId: link.id,
			owner: link.user_id,
			views: updated?.views ?? link.views + 1
		});
	}
	return {
		status: 200,
		view: {
			token: link.token,
			kind: link.kind,
			title: link.title,
			from: link.from_ms,
			to: link.to_ms,
			expiresAt: link.expires_at,
			calls: rows.map((r) => ({
				id: r.id,
				dateTime: r.date_time,
				system: r.system_label,
				talkgroup: { id: r.talkgroup_ref, label: r.tg_label, name: r.tg_name },
				duration: r.duration,
				audioUrl: `/s/${link.token}/audio/${r.id}`,
				audioType: r.audio_type
			}))
		}
	};
}

/** A shared call's stored-audio row, only when the link is live and holds that call. */
export async function sharedAudioRow(
	deps: Pick<ShareDeps, 'db' | 'clock'>,
	token: string,
	callId: string
) {
	const id = /^\d{1,15}$/.test(callId) ? Number(callId) : 0;
	const found = await findLink(deps, token);
	if (found.status !== 200 || !id) return undefined;
	return sharedCallRow(deps.db, found.link.id, id);
}

function sharedCallRow(db: DB, linkId: number, callId: number) {
	return db
		.selectFrom('share_link_calls')
		.innerJoin('calls', 'calls.id', 'share_link_calls.call_id')
		.select(['calls.id', 'calls.audio_path', 'calls.audio_type', 'calls.date_time'])
		.where('share_link_calls.link_id', '=', linkId)
		.where('share_link_calls.call_id', '=', callId)
		.executeTakeFirst();
}

/** Every stored file of a live link's calls, oldest first, for downloads. */
export async function sharedFiles(deps: Pick<ShareDeps, 'db' | 'clock'>, token: string) {
	const found = await findLink(deps, token);
	if (found.status !== 200) return found;
	const rows = await selectCalls(deps.db)
		.innerJoin('share_link_calls', 'share_link_calls.call_id', 'calls.id')
		.select(['calls.audio_path'])
		.where('share_link_calls.link_id', '=', found.link.id)
		.orderBy('calls.date_time', 'asc')
		.orderBy('calls.id', 'asc')
		.execute();
	return { status: 200 as const, link: found.link, rows };
}

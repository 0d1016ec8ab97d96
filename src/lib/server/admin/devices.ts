import { ServiceError } from '../core/errors';
import {
	revokeSession,
	revokeUserSessions,
	toSessionSummary,
	type SessionSummary
} from '../auth/sessions';
import type { AdminDeps } from './users';

/** Every user's signed-in devices (active sessions), for the admin's devices page. */
export interface DeviceSummary extends SessionSummary {
	user: { id: number; username: string };
}

export async function listDevices(
	deps: Pick<AdminDeps, 'db' | 'clock'>,
	opts: { userId?: number; currentSessionId?: string | null } = {}
): Promise<DeviceSummary[]> {
	let query = deps.db
		.selectFrom('sessions')
		.innerJoin('users', 'users.id', 'sessions.user_id')
		.select([
			'sessions.id',
			'sessions.user_id',
			'users.username',
			'sessions.device',
			'sessions.user_agent',
			'sessions.ip',
			'sessions.created_at',
			'sessions.last_used_at',
			'sessions.expires_at'
		])
		.where('sessions.revoked_at', 'is', null)
		.where('sessions.expires_at', '>', deps.clock.now());
	if (opts.userId !== undefined) query = query.where('sessions.user_id', '=', opts.userId);
	const rows = await query
		.orderBy('sessions.last_used_at', 'desc')
		.orderBy('sessions.id')
		.execute();
	return rows.map((s) => ({
		...toSessionSummary(s, opts.currentSessionId),
		user: { id: s.user_id, username: s.username }
	}));
}

/** Signs one device out (reason `admin`); NOT_FOUND when it is not an active session. */
export async function revokeDevice(deps: AdminDeps, sessionId: string): Promise<void> {
	if (!(await revokeSession(deps, sessionId, 'admin'))) {
		throw new ServiceError('NOT_FOUND', 'id: no active session with that id');
	}
}

/**
 * Signs out every device of a user (reason `admin`). When admins sign out all their own devices,
 * the session making the request is kept, as on the account page.
 */
export async function revokeAllDevices(
	deps: AdminDeps,
	userId: number,
	actor: { userId: number; sessionId: string }
): Promise<number> {
	const user = await deps.db
		.selectFrom('users')
		.select('id')
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new ServiceError('NOT_FOUND', `userId: no user with id ${userId}`);
	return revokeUserSessions(
		deps,
		userId,
		'admin',
		userId === actor.userId ? actor.sessionId : undefined
	);
}

import type { DB } from '../core/db';
import type { Role } from '../core/db/types';
import { ServiceError } from '../core/errors';
import { revokeSession, type SessionDeps } from './sessions';

export interface UserSummary {
	id: number;
	username: string;
	role: Role;
}

/** Who a session belongs to, as AuthResult carries it. */
export async function userSummary(db: DB, userId: number): Promise<UserSummary> {
	const user = await db
		.selectFrom('users')
		.select(['id', 'username', 'role'])
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new ServiceError('UNAUTHORIZED', 'no such user');
	return user;
}

/** `auth.me`: the signed-in user, and whether they must pick a new password first. */
export async function userProfile(
	db: DB,
	userId: number
): Promise<UserSummary & { mustChangePassword: boolean }> {
	const user = await db
		.selectFrom('users')
		.select(['id', 'username', 'role', 'must_change_password'])
		.where('id', '=', userId)
		.executeTakeFirst();
	if (!user) throw new ServiceError('UNAUTHORIZED', 'no such user');
	return {
		id: user.id,
		username: user.username,
		role: user.role,
		mustChangePassword: user.must_change_password === 1
	};
}

/**
 * A user signing out one of their own devices: 'logout' (the device is told so), not 'admin'.
 * Someone else's session looks exactly like a missing one.
 */
export async function revokeOwnSession(
	deps: SessionDeps,
	userId: number,
	sessionId: string
): Promise<void> {
	const own = await deps.db
		.selectFrom('sessions')
		.select('id')
		.where('id', '=', sessionId)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	if (!own) throw new ServiceError('NOT_FOUND', 'id: no such session');
	await revokeSession(deps, sessionId, 'logout');
}

import { ServiceError } from '../core/errors';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { equalsIgnoringCase, serializeOn } from '../core/db/dialect';
import type { Role, User } from '../core/db/types';
import type { Bus } from '../core/bus';
import { recordEvent } from '../core/event-log';
import type { PasswordDeps } from './passwords';
import type { LoginThrottle } from './throttle';
import {
	createSession,
	revokeUserSessions,
	type DeviceInfo,
	type SessionDeps,
	type IssuedSession
} from './sessions';

export const INVALID_LOGIN = 'invalid username or password';

export async function needsSetup(db: DB): Promise<boolean> {
	const row = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
	return !row;
}

export async function insertUser(
	deps: { db: DB; clock: Clock; bus: Bus } & PasswordDeps,
	input: { username: string; password: string; role: Role; mustChangePassword?: boolean },
	onlyIfNoUsers = false
): Promise<number> {
	const passwordHash = await deps.passwords.hash(input.password);
	const now = deps.clock.now();
	const id = await deps.db.transaction().execute(async (trx) => {
		// The check and the insert share one transaction, serialized, so two racing setups create
		// one admin and two racing sign-ups one user.
		await serializeOn(trx, 'users.username');
		if (onlyIfNoUsers && (await trx.selectFrom('users').select('id').limit(1).executeTakeFirst())) {
			throw new ServiceError('FORBIDDEN', 'setup is already complete');
		}
		const clash = await trx
			.selectFrom('users')
			.select('id')
			.where(equalsIgnoringCase(trx, 'username', input.username))
			.executeTakeFirst();
		if (clash) throw new ServiceError('CONFLICT', `username "${input.username}" is taken`);
		const row = await trx
			.insertInto('users')
			.values({
				username: input.username,
				password_hash: passwordHash,
				role: input.role,
				must_change_password: input.mustChangePassword ? 1 : 0,
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		return row.id;
	});
	await recordEvent(deps, 'user.created', {
		userId: id,
		username: input.username,
		role: input.role
	});
	return id;
}

export interface LoginDeps extends SessionDeps, PasswordDeps {
	throttle: LoginThrottle;
}

export async function login(
	deps: LoginDeps,
	input: { username: string; password: string },
	device: DeviceInfo
): Promise<{ user: User } & IssuedSession> {
	// Counted before the password check, so parallel attempts cannot share one allowance.
	const attempt = await deps.throttle.reserve(device.ip, input.username);
	if ('retryAfterSec' in attempt) {
		const wait = attempt.retryAfterSec;
		throw new ServiceError(
			'TOO_MANY_REQUESTS',
			`too many failed sign-in attempts; try again in ${wait} second${wait === 1 ? '' : 's'}`,
			wait
		);
	}
	let user: User | undefined;
	let ok = false;
	try {
		user = await deps.db
			.selectFrom('users')
			.selectAll()
			.where(equalsIgnoringCase(deps.db, 'username', input.username))
			.executeTakeFirst();
		if (user) ok = await deps.passwords.verify(user.password_hash, input.password);
		else await deps.passwords.burn(input.password);
	} catch (err) {
		// Never checked (busy, or the database failed): not the caller's failure.
		await attempt.abandoned();
		throw err;
	}
	const now = deps.clock.now();
	// Disabled and expired accounts get the same answer as a wrong password.
	if (!user || !ok || user.disabled || (user.expires_at !== null && user.expires_at <= now)) {
		throw new ServiceError('UNAUTHORIZED', INVALID_LOGIN);
	}
	await attempt.succeeded();
	const issued = await createSession(deps, user.id, device);
	return { user, ...issued };
}

/** Keeps the caller's session and signs out every other device of the user. */
export async function changePassword(
	deps: SessionDeps & PasswordDeps,
	userId: number,
	currentSessionId: string,
	input: { currentPassword: string; newPassword: string }
): Promise<void> {
	const user = await deps.db
		.selectFrom('users')
		.selectAll()
		.where('id', '=', userId)
		.executeTakeFirstOrThrow();
	if (!(await deps.passwords.verify(user.password_hash, input.currentPassword))) {
		throw new ServiceError('BAD_REQUEST', 'currentPassword: the current password is not right');
	}
	const passwordHash = await deps.passwords.hash(input.newPassword);
	await deps.db
		.updateTable('users')
		.set({ password_hash: passwordHash, must_change_password: 0, updated_at: deps.clock.now() })
		.where('id', '=', userId)
		.execute();
	await revokeUserSessions(deps, userId, 'password', currentSessionId);
	await recordEvent(deps, 'user.updated', { userId, change: 'password' });
}

import { ServiceError } from '../core/errors';
import { caseInsensitive, equalsIgnoringCase, serializeOn } from '../core/db/dialect';
import type { Transaction } from 'kysely';
import type { Database, Role, User } from '../core/db/types';
import type { PasswordDeps } from '../auth/passwords';
import { revokeUserSessions, type SessionDeps } from '../auth/sessions';
import { recordEvent } from '../core/event-log';
import { allGrants, replaceGrants, resolveGrants, type AccessInput } from './user-access';

/**
 * User administration. Every guard that protects the last admin is checked inside the same
 * transaction as the change, so two admins demoting each other at once cannot leave none.
 * Side effects that must reach open sockets (session revocation, `access.changed`) run after
 * the commit, through auth/sessions.ts and the bus.
 */
export type AdminDeps = SessionDeps & PasswordDeps;

export interface UserSummary {
	id: number;
	username: string;
	role: Role;
	disabled: boolean;
	expiresAt: Date | null;
	mustChangePassword: boolean;
	accessAll: boolean;
	/** Database ids of granted systems and talkgroups (see user-access.ts). */
	access: { systems: number[]; talkgroups: number[] };
	activeSessions: number;
	/** The most recent use of any of the user's sessions, or null if never signed in. */
	lastSeenAt: Date | null;
	createdAt: Date;
	updatedAt: Date;
}

export interface CreateUserInput {
	username: string;
	password: string;
	role: Role;
	/** Default true: an account an admin made must pick its own password at first sign-in. */
	mustChangePassword?: boolean;
	expiresAt?: Date | null;
	/** Default: true unless `access` is given. */
	accessAll?: boolean;
	access?: { systems: number[]; talkgroups: number[] };
}

export interface UpdateUserInput {
	username?: string;
	role?: Role;
	disabled?: boolean;
	expiresAt?: Date | null;
}

const notFound = (id: number) => new ServiceError('NOT_FOUND', `id: no user with id ${id}`);

function isActiveAdmin(u: Pick<User, 'role' | 'disabled' | 'expires_at'>, now: number): boolean {
	return u.role === 'admin' && !u.disabled && (u.expires_at === null || u.expires_at > now);
}

/**
 * Refuses a change that would leave no admin who can sign in for the foreseeable future. Only an
 * enabled admin with no expiry counts: two admins giving each other an expiry would otherwise
 * each see the other as "active" and leave nobody once both dates pass. Runs inside the change's
 * transaction.
 */
async function assertAnotherLastingAdmin(
	trx: Transaction<Database>,
	target: User,
	what: string
): Promise<void> {
	// Two admins demoting each other at once: the second waits and then sees the first's change.
	await serializeOn(trx, 'users.admins');
	const other = await trx
		.selectFrom('users')
		.select('id')
		.where('id', '!=', target.id)
		.where('role', '=', 'admin')
		.where('disabled', '=', 0)
		.where('expires_at', 'is', null)
		.limit(1)
		.executeTakeFirst();
	if (!other)
		throw new ServiceError(
			'CONFLICT',
			`id: ${target.username} is the last active admin (enabled, no expiry) and cannot be ${what}`
		);
}

async function loadUser(trx: Transaction<Database>, id: number): Promise<User> {
	const user = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
	if (!user) throw notFound(id);
	return user;
}

async function assertUsernameFree(
	trx: Transaction<Database>,
	username: string,
	exceptId?: number
): Promise<void> {
	await serializeOn(trx, 'users.username');
	let query = trx
		.selectFrom('users')
		.select('id')
		.where(equalsIgnoringCase(trx, 'username', username));
	if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
	if (await query.executeTakeFirst())
		throw new ServiceError('CONFLICT', `username: "${username}" is taken`);
}

export async function listUsers(deps: Pick<AdminDeps, 'db' | 'clock'>): Promise<UserSummary[]> {
	const now = deps.clock.now();
	const rows = await deps.db
		.selectFrom('users')
		.selectAll('users')
		.select((eb) => [
			eb
				.selectFrom('sessions')
				.select((s) => s.fn.countAll<number>().as('n'))
				.whereRef('sessions.user_id', '=', 'users.id')
				.where('sessions.revoked_at', 'is', null)
				.where('sessions.expires_at', '>', now)
				.as('active_sessions'),
			eb
				.selectFrom('sessions')
				.select((s) => s.fn.max('sessions.last_used_at').as('t'))
				.whereRef('sessions.user_id', '=', 'users.id')
				.as('last_seen')
		])
		.orderBy(caseInsensitive(deps.db, 'users.username'))
		.execute();
	const grants = await allGrants(deps.db);
	return rows.map((u) => ({
		id: u.id,
		username: u.username,
		role: u.role,
		disabled: u.disabled === 1,
		expiresAt: u.expires_at === null ? null : new Date(u.expires_at),
		mustChangePassword: u.must_change_password === 1,
		accessAll: u.access_all === 1,
		access: grants.get(u.id) ?? { systems: [], talkgroups: [] },
		activeSessions: Number(u.active_sessions ?? 0),
		lastSeenAt:
			u.last_seen === null || u.last_seen === undefined ? null : new Date(Number(u.last_seen)),
		createdAt: new Date(u.created_at),
		updatedAt: new Date(u.updated_at)
	}));
}

export async function getUser(
	deps: Pick<AdminDeps, 'db' | 'clock'>,
	id: number
): Promise<UserSummary> {
	const user = (await listUsers(deps)).find((u) => u.id === id);
	if (!user) throw notFound(id);
	return user;
}

export async function createUser(
	deps: AdminDeps,
	actorId: number,
	input: CreateUserInput
): Promise<number> {
	const passwordHash = await deps.passwords.hash(input.password);
	const now = deps.clock.now();
	const accessAll = input.accessAll ?? input.access === undefined;
	const id = await deps.db.transaction().execute(async (trx) => {
		await assertUsernameFree(trx, input.username);
		const grants = await resolveGrants(trx, input.access ?? { systems: [], talkgroups: [] });
		const { id } = await trx
			.insertInto('users')
			.values({
				username: input.username,
				password_hash: passwordHash,
				role: input.role,
				must_change_password: input.mustChangePassword === false ? 0 : 1,
				expires_at: input.expiresAt ? input.expiresAt.getTime() : null,
				access_all: accessAll ? 1 : 0,
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		await replaceGrants(trx, id, grants);
		return id;
	});
	await recordEvent(deps, 'user.created', {
		userId: id,
		username: input.username,
		role: input.role,
		by: actorId
	});
	return id;
}

export async function updateUser(
	deps: AdminDeps,
	actorId: number,
	id: number,
	patch: UpdateUserInput
): Promise<UserSummary> {
	const now = deps.clock.now();
	const self = actorId === id;
	if (self && patch.role === 'listener')
		throw new ServiceError('FORBIDDEN', 'role: you cannot demote yourself');
	if (self && patch.disabled === true)
		throw new ServiceError('FORBIDDEN', 'disabled: you cannot disable yourself');
	if (self && patch.expiresAt)
		throw new ServiceError('FORBIDDEN', 'expiresAt: you cannot set an expiry on your own account');

	const { before, after } = await deps.db.transaction().execute(async (trx) => {
		const before = await loadUser(trx, id);
		const after: User = {
			...before,
			username: patch.username ?? before.username,
			role: patch.role ?? before.role,
			disabled: patch.disabled === undefined ? before.disabled : patch.disabled ? 1 : 0,
			expires_at:
				patch.expiresAt === undefined
					? before.expires_at
					: patch.expiresAt === null
						? null
						: patch.expiresAt.getTime(),
			updated_at: now
		};
		if (isActiveAdmin(before, now)) {
			if (before.role === 'admin' && after.role !== 'admin')
				await assertAnotherLastingAdmin(trx, before, 'demoted');
			if (!before.disabled && after.disabled)
				await assertAnotherLastingAdmin(trx, before, 'disabled');
			// An expiry would leave no admin once it passes.
			if (patch.expiresAt) await assertAnotherLastingAdmin(trx, before, 'given an expiry');
		}
		if (after.username !== before.username) await assertUsernameFree(trx, after.username, id);
		await trx
			.updateTable('users')
			.set({
				username: after.username,
				role: after.role,
				disabled: after.disabled,
				expires_at: after.expires_at,
				updated_at: now
			})
			.where('id', '=', id)
			.execute();
		return { before, after };
	});

	const changes: string[] = [];
	if (after.username !== before.username) changes.push('username');
	if (after.role !== before.role) changes.push('role');
	if (after.disabled !== before.disabled) changes.push(after.disabled ? 'disabled' : 'enabled');
	if (after.expires_at !== before.expires_at) changes.push('expiresAt');

	const expiredNow = after.expires_at !== null && after.expires_at <= now;
	if (
		(after.disabled && !before.disabled) ||
		(expiredNow && after.expires_at !== before.expires_at)
	) {
		await revokeUserSessions(deps, id, 'disabled');
	}
	if (after.expires_at !== before.expires_at && !expiredNow)
		// Open sockets close when the new expiry passes (realtime/connections.ts).
		deps.bus.publish('account.expiry', { userId: id, expiresAt: after.expires_at });
	if (after.role !== before.role) {
		// The role is part of every open socket's context: those sockets must reconnect.
		await revokeUserSessions(deps, id, 'admin');
		deps.bus.publish('access.changed', { userId: id });
	}
	if (changes.length)
		await recordEvent(deps, 'user.updated', {
			userId: id,
			username: after.username,
			changes,
			by: actorId
		});
	return getUser(deps, id);
}

/**
 * Replaces a user's access. Nobody is signed out: the user's open live streams read their access
 * again on `access.changed` and stop delivering what was taken away at once (live/calls-stream.ts);
 * every other path checks access per request.
 */
export async function setUserAccess(
	deps: AdminDeps,
	actorId: number,
	id: number,
	input: AccessInput
): Promise<UserSummary> {
	const now = deps.clock.now();
	await deps.db.transaction().execute(async (trx) => {
		await loadUser(trx, id);
		const grants = await resolveGrants(trx, input);
		await trx
			.updateTable('users')
			.set({ access_all: input.accessAll ? 1 : 0, updated_at: now })
			.where('id', '=', id)
			.execute();
		await replaceGrants(trx, id, grants);
	});
	deps.bus.publish('access.changed', { userId: id });
	const user = await getUser(deps, id);
	await recordEvent(deps, 'user.updated', {
		userId: id,
		username: user.username,
		changes: ['access'],
		by: actorId
	});
	return user;
}

/** Sets a new password the user must replace at next sign-in, and signs them out everywhere. */
export async function resetPassword(
	deps: AdminDeps,
	actorId: number,
	id: number,
	password: string
): Promise<void> {
	if (actorId === id)
		throw new ServiceError('FORBIDDEN', 'id: change your own password with auth.changePassword');
	const passwordHash = await deps.passwords.hash(password);
	const user = await deps.db.transaction().execute(async (trx) => {
		const user = await loadUser(trx, id);
		await trx
			.updateTable('users')
			.set({ password_hash: passwordHash, must_change_password: 1, updated_at: deps.clock.now() })
			.where('id', '=', id)
			.execute();
		return user;
	});
	await revokeUserSessions(deps, id, 'password');
	await recordEvent(deps, 'user.updated', {
		userId: id,
		username: user.username,
		changes: ['password'],
		by: actorId
	});
}

/**
 * Deletes a user. The guards and a disable run in one transaction; then the sessions are revoked
 * (so sockets hear `disabled`) and the row goes, taking sessions, grants and bookmarks with it.
 */
export async function deleteUser(deps: AdminDeps, actorId: number, id: number): Promise<void> {
	if (actorId === id) throw new ServiceError('FORBIDDEN', 'id: you cannot delete yourself');
	const now = deps.clock.now();
	const user = await deps.db.transaction().execute(async (trx) => {
		const user = await loadUser(trx, id);
		if (isActiveAdmin(user, now)) await assertAnotherLastingAdmin(trx, user, 'deleted');
		await trx
			.updateTable('users')
			.set({ disabled: 1, updated_at: now })
			.where('id', '=', id)
			.execute();
		return user;
	});
	await revokeUserSessions(deps, id, 'disabled');
	await deps.db.deleteFrom('users').where('id', '=', id).execute();
	await recordEvent(deps, 'user.updated', {
		userId: id,
		username: user.username,
		changes: ['deleted'],
		by: actorId
	});
}

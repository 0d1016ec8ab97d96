import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { forUpdate, serializeOn } from '../core/db/dialect';
import type { Transaction } from 'kysely';
import type { Database, RevokeReason, Session } from '../core/db/types';
import type { Bus } from '../core/bus';
import { recordEvent } from '../core/event-log';
import { sessionCap } from '../core/settings';
import { deviceName } from './device-name';

/**
 * Sessions are signed-in devices: one row per refresh-token family. Login creates one; refresh
 * rotates the token inside it and never creates another, so the per-user cap counts devices.
 */
export interface SessionDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	keys: { refresh: Buffer };
	config: { refreshTtlSec: number; refreshGraceSec: number; maxSessions: number };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A token's successor is derived from it, so replaying the previous token yields the same one. */
const successorOf = (deps: SessionDeps, token: string) =>
	createHmac('sha256', deps.keys.refresh).update(token).digest('base64url');

export interface DeviceInfo {
	userAgent: string;
	ip: string;
	rememberMe: boolean;
}

export interface IssuedSession {
	session: Session;
	refreshToken: string;
}

export async function createSession(
	deps: SessionDeps,
	userId: number,
	device: DeviceInfo
): Promise<IssuedSession> {
	const now = deps.clock.now();
	const refreshToken = randomBytes(32).toString('base64url');
	const maxSessions = await sessionCap(deps.db, deps.config.maxSessions);
	const session: Session = {
		id: randomBytes(16).toString('base64url'),
		user_id: userId,
		device: deviceName(device.userAgent),
		user_agent: device.userAgent.slice(0, 512),
		ip: device.ip,
		remember_me: device.rememberMe ? 1 : 0,
		created_at: now,
		last_used_at: now,
		expires_at: now + deps.config.refreshTtlSec * 1000,
		refresh_hash: hashToken(refreshToken),
		prev_refresh_hash: null,
		rotation: 0,
		rotated_at: now,
		revoked_at: null,
		revoke_reason: null
	};
	const evicted = await deps.db.transaction().execute(async (trx) => {
		// Two sign-ins of one user at once (PostgreSQL) count each other: the cap holds.
		await serializeOn(trx, `sessions.user:${userId}`);
		const active = await trx
			.selectFrom('sessions')
			.select('id')
			.where('user_id', '=', userId)
			.where('revoked_at', 'is', null)
			.where('expires_at', '>', now)
			.orderBy('last_used_at', 'asc')
			.orderBy('created_at', 'asc')
			.execute();
		// Make room for the new device: the least recently used go first.
		const excess = active.length + 1 - maxSessions;
		const victims = excess > 0 ? active.slice(0, excess).map((s) => s.id) : [];
		if (victims.length) {
			await trx
				.updateTable('sessions')
				.set({ revoked_at: now, revoke_reason: 'cap' })
				.where('id', 'in', victims)
				.execute();
		}
		await trx.insertInto('sessions').values(session).execute();
		return victims;
	});
	for (const id of evicted) await announceRevoked(deps, id, userId, 'cap');
	await recordEvent(deps, 'session.created', {
		userId,
		sessionId: session.id,
		device: session.device,
		ip: session.ip
	});
	return { session, refreshToken };
}

export type RefreshOutcome =
	| { ok: true; session: Session; refreshToken: string }
	| { ok: false; reason: 'unknown' | 'expired' | 'reused' }
	| { ok: false; reason: 'revoked'; revokeReason: RevokeReason };

/** One retired token in this many is remembered (as a hash), per family. */
export const CHECKPOINT_EVERY = 32;
/** Checkpoints kept per family: reuse is caught for tokens up to 256 × 32 rotations old. */
const CHECKPOINTS_KEPT = 256;

/**
 * The family a retired token (neither current nor previous) belongs to. A family's tokens form a
 * chain, each the HMAC of the one before, and token i is remembered when i is a multiple of
 * CHECKPOINT_EVERY. So the CHECKPOINT_EVERY tokens from the presented one onwards hold either a
 * remembered one or the family's current token: a bounded walk, and bounded storage.
 */
async function familyOfRetired(
	trx: Transaction<Database>,
	deps: SessionDeps,
	presented: string
): Promise<Session | undefined> {
	const hashes: string[] = [];
	let token = presented;
	for (let i = 0; i < CHECKPOINT_EVERY; i++) {
		hashes.push(hashToken(token));
		token = successorOf(deps, token);
	}
	const viaCurrent = await trx
		.selectFrom('sessions')
		.selectAll()
		.where('refresh_hash', 'in', hashes)
		.executeTakeFirst();
	if (viaCurrent) return viaCurrent;
	return trx
		.selectFrom('refresh_checkpoints')
		.innerJoin('sessions', 'sessions.id', 'refresh_checkpoints.session_id')
		.selectAll('sessions')
		.where('refresh_checkpoints.token_hash', 'in', hashes)
		.executeTakeFirst();
}

/**
 * Rotate a refresh token in one transaction. The current token moves the family on; the
 * immediately previous one, within the grace window, gets the same successor again (two tabs
 * waking at once, a retried request); any other token the family ever had is theft: revoke.
 */
export async function rotateRefreshToken(
	deps: SessionDeps,
	presented: string
): Promise<RefreshOutcome> {
	const now = deps.clock.now();
	const hash = hashToken(presented);
	let reused: Session | undefined;
	const outcome = await deps.db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
		const current = await trx
			.selectFrom('sessions')
			.selectAll()
			.where('refresh_hash', '=', hash)
			.executeTakeFirst();
		const previous = current
			? undefined
			: await trx
					.selectFrom('sessions')
					.selectAll()
					.where('prev_refresh_hash', '=', hash)
					.executeTakeFirst();
		const found = current ?? previous ?? (await familyOfRetired(trx, deps, presented));
		if (!found) return { ok: false, reason: 'unknown' };
		// Read again under a row lock (PostgreSQL): two requests presenting one token on two
		// connections take turns, and the second sees the first's rotation (the grace case).
		const session = await forUpdate(
			trx,
			trx.selectFrom('sessions').selectAll().where('id', '=', found.id)
		).executeTakeFirstOrThrow();
		const isCurrent = session.refresh_hash === hash;
		const isPrevious = session.prev_refresh_hash === hash;
		if (session.revoked_at !== null)
			return { ok: false, reason: 'revoked', revokeReason: session.revoke_reason ?? 'logout' };
		if (session.expires_at <= now) return { ok: false, reason: 'expired' };
		// An account that expired (or was disabled) since sign-in gets no fresh tokens.
		const owner = await trx
			.selectFrom('users')
			.select(['disabled', 'expires_at'])
			.where('id', '=', session.user_id)
			.executeTakeFirst();
		if (!owner || owner.disabled || (owner.expires_at !== null && owner.expires_at <= now))
			return { ok: false, reason: 'expired' };

		const successor = successorOf(deps, presented);
		const expires_at = now + deps.config.refreshTtlSec * 1000;
		if (isCurrent) {
			await rememberRetired(trx, session, hash);
			const next = {
				refresh_hash: hashToken(successor),
				prev_refresh_hash: hash,
				rotation: session.rotation + 1,
				rotated_at: now,
				last_used_at: now,
				expires_at
			};
			await trx.updateTable('sessions').set(next).where('id', '=', session.id).execute();
			return { ok: true, session: { ...session, ...next }, refreshToken: successor };
		}
		if (
			isPrevious &&
			now - session.rotated_at <= deps.config.refreshGraceSec * 1000 &&
			hashToken(successor) === session.refresh_hash
		) {
			await trx
				.updateTable('sessions')
				.set({ last_used_at: now, expires_at })
				.where('id', '=', session.id)
				.execute();
			return {
				ok: true,
				session: { ...session, last_used_at: now, expires_at },
				refreshToken: successor
			};
		}
		await trx
			.updateTable('sessions')
			.set({ revoked_at: now, revoke_reason: 'reuse' })
			.where('id', '=', session.id)
			.execute();
		reused = session;
		return { ok: false, reason: 'reused' };
	});
	if (reused) await announceRevoked(deps, reused.id, reused.user_id, 'reuse');
	return outcome;
}

/** Keeps a checkpoint when the retiring token's index is one (see familyOfRetired). */
async function rememberRetired(
	trx: Transaction<Database>,
	session: Session,
	hash: string
): Promise<void> {
	if (session.rotation % CHECKPOINT_EVERY !== 0) return;
	await trx
		.insertInto('refresh_checkpoints')
		.values({ token_hash: hash, session_id: session.id, rotation: session.rotation })
		.onConflict((oc) => oc.doNothing())
		.execute();
	await trx
		.deleteFrom('refresh_checkpoints')
		.where('session_id', '=', session.id)
		.where('rotation', '<', session.rotation - CHECKPOINT_EVERY * CHECKPOINTS_KEPT)
		.execute();
}

/** Revoke one session (if still active). Returns whether it was active. */
export async function revokeSession(
	deps: SessionDeps,
	sessionId: string,
	reason: RevokeReason
): Promise<boolean> {
	const now = deps.clock.now();
	const row = await deps.db
		.updateTable('sessions')
		.set({ revoked_at: now, revoke_reason: reason })
		.where('id', '=', sessionId)
		.where('revoked_at', 'is', null)
		.returning(['id', 'user_id'])
		.executeTakeFirst();
	if (!row) return false;
	await announceRevoked(deps, row.id, row.user_id, reason);
	return true;
}

/** Revoke every active session of a user, optionally keeping one (the caller's). */
export async function revokeUserSessions(
	deps: SessionDeps,
	userId: number,
	reason: RevokeReason,
	keepSessionId?: string
): Promise<number> {
	const now = deps.clock.now();
	let query = deps.db
		.updateTable('sessions')
		.set({ revoked_at: now, revoke_reason: reason })
		.where('user_id', '=', userId)
		.where('revoked_at', 'is', null);
	if (keepSessionId) query = query.where('id', '!=', keepSessionId);
	const rows = await query.returning(['id']).execute();
	for (const row of rows) await announceRevoked(deps, row.id, userId, reason);
	return rows.length;
}

async function announceRevoked(
	deps: SessionDeps,
	sessionId: string,
	userId: number,
	reason: RevokeReason
) {
	deps.bus.publish('session.revoked', { sessionId, userId, reason });
	// The admin feed says which device went, not only which session id.
	const row = await deps.db
		.selectFrom('sessions')
		.select(['device', 'ip'])
		.where('id', '=', sessionId)
		.executeTakeFirst();
	await recordEvent(deps, 'session.revoked', {
		userId,
		sessionId,
		reason,
		device: row?.device ?? null,
		ip: row?.ip ?? null
	});
}

export interface SessionSummary {
	id: string;
	current: boolean;
	device: string;
	userAgent: string;
	ip: string;
	createdAt: Date;
	lastUsedAt: Date;
	expiresAt: Date;
}

export async function listSessions(
	deps: Pick<SessionDeps, 'db' | 'clock'>,
	userId: number,
	currentSessionId: string | null
): Promise<SessionSummary[]> {
	const rows = await deps.db
		.selectFrom('sessions')
		.selectAll()
		.where('user_id', '=', userId)
		.where('revoked_at', 'is', null)
		.where('expires_at', '>', deps.clock.now())
		.orderBy('last_used_at', 'desc')
		.execute();
	return rows.map((s) => toSessionSummary(s, currentSessionId));
}

/** A session row as the account and admin device lists show it. */
export function toSessionSummary(
	s: Pick<
		Session,
		'id' | 'device' | 'user_agent' | 'ip' | 'created_at' | 'last_used_at' | 'expires_at'
	>,
	currentSessionId: string | null | undefined
): SessionSummary {
	return {
		id: s.id,
		current: s.id === currentSessionId,
		device: s.device,
		userAgent: s.user_agent,
		ip: s.ip,
		createdAt: new Date(s.created_at),
		lastUsedAt: new Date(s.last_used_at),
		expiresAt: new Date(s.expires_at)
	};
}

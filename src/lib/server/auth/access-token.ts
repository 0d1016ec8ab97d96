import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Role } from '../core/db/types';
import type { BusView } from '../core/bus-view';

/** Who is calling, as every path (HTTP, audio, WebSocket) sees it. */
export interface Viewer {
	userId: number;
	username: string;
	role: Role;
	sessionId: string;
	/** When the access token that authenticated this viewer expires, epoch ms. */
	tokenExpiresAt: number;
	/** When the account itself expires (an admin's expiresAt), epoch ms; null or absent: never. */
	accountExpiresAt?: number | null;
}

export interface AccessTokenDeps {
	db: DB;
	clock: Clock;
	keys: { jwt: Uint8Array };
	config: { accessTtlSec: number };
}

export async function signAccessToken(
	deps: AccessTokenDeps,
	claims: { userId: number; username: string; role: Role; sessionId: string }
): Promise<{ token: string; expiresAt: number }> {
	const nowSec = Math.floor(deps.clock.now() / 1000);
	const exp = nowSec + deps.config.accessTtlSec;
	const token = await new SignJWT({
		role: claims.role,
		sid: claims.sessionId,
		name: claims.username
	})
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.setSubject(String(claims.userId))
		.setIssuedAt(nowSec)
		.setExpirationTime(exp)
		.sign(deps.keys.jwt);
	return { token, expiresAt: exp * 1000 };
}

/**
 * Signature, expiry, and the session still active: a revoked session's tokens stop at once on
 * every path, and stay stopped after a restart. The role is read from the user row, so a demotion
 * also applies immediately. Returns null for anything that does not pass. With a `view` (the
 * audio endpoint) the session row may come from memory, kept current by the bus and never older
 * than the view's bound (core/bus-view.ts).
 */
export function verifyAccessToken(
	deps: VerifyDeps,
	token: string | null | undefined,
	view?: SessionView
): Promise<Viewer | null> {
	if (!token) return NO_VIEWER;
	// A token seen before, with its session held by the view, is answered without a promise chain
	// of its own (every socket of a reconnecting tab or device, every audio request of a player).
	const known = knownClaims(deps, token);
	if (known === null) return NO_VIEWER;
	if (known === undefined)
		return verifiedClaims(deps, token).then((claims) =>
			claims ? checkSession(deps, claims, view) : null
		);
	return checkSession(deps, known, view);
}

const NO_VIEWER: Promise<Viewer | null> = Promise.resolve(null);

function checkSession(
	deps: VerifyDeps,
	claims: Claims,
	view: SessionView | undefined
): Promise<Viewer | null> {
	const held = view?.get(claims.sessionId, claims.userId);
	if (held !== undefined) return Promise.resolve(activeViewer(deps, claims, held));
	const read = () => readSession(deps.db, claims.sessionId, claims.userId);
	return (view ? view.through(claims.sessionId, claims.userId, read) : read()).then((facts) =>
		activeViewer(deps, claims, facts)
	);
}

/** The viewer, if the session and its account are still active now. */
function activeViewer(deps: VerifyDeps, claims: Claims, facts: SessionFacts | null): Viewer | null {
	const now = deps.clock.now();
	if (
		!facts ||
		facts.sessionExpiresAt <= now ||
		facts.disabled ||
		(facts.userExpiresAt !== null && facts.userExpiresAt <= now)
	)
		return null;
	return {
		userId: claims.userId,
		username: facts.username,
		role: facts.role,
		sessionId: claims.sessionId,
		tokenExpiresAt: claims.exp * 1000,
		accountExpiresAt: facts.userExpiresAt
	};
}

/** The session (if not revoked) and its user; null when there is no such active session. */
async function readSession(
	db: DB,
	sessionId: string,
	userId: number
): Promise<SessionFacts | null> {
	const row = await db
		.selectFrom('sessions')
		.innerJoin('users', 'users.id', 'sessions.user_id')
		.select([
			'users.username',
			'users.role',
			'users.disabled',
			'users.expires_at as user_expires_at',
			'sessions.expires_at as session_expires_at'
		])
		.where('sessions.id', '=', sessionId)
		.where('sessions.user_id', '=', userId)
		.where('sessions.revoked_at', 'is', null)
		.executeTakeFirst();
	if (!row) return null;
	return {
		username: row.username,
		role: row.role,
		disabled: row.disabled,
		userExpiresAt: row.user_expires_at,
		sessionExpiresAt: row.session_expires_at
	};
}

/** What the per-request session check reads: the session and its user. */
export interface SessionFacts {
	username: string;
	role: Role;
	disabled: number;
	/** The account's expiry (epoch ms) or null. */
	userExpiresAt: number | null;
	/** The session's own expiry (epoch ms). */
	sessionExpiresAt: number;
}

/** Session rows by session id (null: not active), for the audio endpoint. */
export type SessionView = BusView<string, SessionFacts | null>;

interface Claims {
	sessionId: string;
	userId: number;
	/** Epoch seconds. */
	exp: number;
}

export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** Tokens whose signature has been checked, with their claims: one per process (app.ts). */
export class VerifiedTokens {
	readonly byToken = new Map<string, Claims>();
}

export interface VerifyDeps extends AccessTokenDeps {
	verifiedTokens: VerifiedTokens;
}

/**
 * A token seen before skips the signature check (an audio player presents the same token on
 * every request, and the HMAC was the largest piece of the authenticated audio path), but never
 * the expiry check, and the caller still checks the session on every request, so revocation is
 * as immediate as before. Its claims; null once expired; undefined when not seen (or dropped).
 */
function knownClaims(deps: VerifyDeps, token: string): Claims | null | undefined {
	const cache = deps.verifiedTokens.byToken;
	const hit = cache.get(token);
	if (!hit) return undefined;
	// jose's rule: a token is expired once `exp` is at or before the current whole second.
	if (hit.exp > Math.floor(deps.clock.now() / 1000)) return hit;
	cache.delete(token);
	return null;
}

/** The token's claims if its signature is good and it has not expired (then remembered). */
async function verifiedClaims(deps: VerifyDeps, token: string): Promise<Claims | null> {
	const cache = deps.verifiedTokens.byToken;
	let payload;
	try {
		({ payload } = await jwtVerify(token, deps.keys.jwt, {
			algorithms: ['HS256'],
			currentDate: new Date(deps.clock.now())
		}));
	} catch {
		return null;
	}
	const sessionId = typeof payload.sid === 'string' ? payload.sid : null;
	const userId = Number(payload.sub);
	if (!sessionId || !Number.isInteger(userId) || typeof payload.exp !== 'number') return null;
	const claims = { sessionId, userId, exp: payload.exp };
	if (cache.size >= VERIFIED_TOKEN_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
	cache.set(token, claims);
	return claims;
}

import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Role } from '../core/db/types';

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
 * also applies immediately. Returns null for anything that does not pass.
 */
export async function verifyAccessToken(
	deps: AccessTokenDeps,
	token: string | null | undefined
): Promise<Viewer | null> {
	if (!token) return null;
	const claims = await verifiedClaims(deps, token);
	if (!claims) return null;
	const { sessionId, userId, exp } = claims;

	const now = deps.clock.now();
	const row = await deps.db
		.selectFrom('sessions')
		.innerJoin('users', 'users.id', 'sessions.user_id')
		.select([
			'users.username',
			'users.role',
			'users.disabled',
			'users.expires_at as user_expires_at'
		])
		.where('sessions.id', '=', sessionId)
		.where('sessions.user_id', '=', userId)
		.where('sessions.revoked_at', 'is', null)
		.where('sessions.expires_at', '>', now)
		.executeTakeFirst();
	if (!row || row.disabled || (row.user_expires_at !== null && row.user_expires_at <= now))
		return null;
	return {
		userId,
		username: row.username,
		role: row.role,
		sessionId,
		tokenExpiresAt: exp * 1000,
		accountExpiresAt: row.user_expires_at
	};
}

interface Claims {
	sessionId: string;
	userId: number;
	/** Epoch seconds. */
	exp: number;
}

/** Tokens whose signature has been checked, per signing key, with their claims. */
const verifiedTokens = new WeakMap<Uint8Array, Map<string, Claims>>();
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * The token's claims if its signature is good and it has not expired. A token seen before skips
 * the signature check (an audio player presents the same token on every request, and the HMAC
 * was the largest piece of the authenticated audio path), but never the expiry check, and the
 * caller still checks the session on every request, so revocation is as immediate as before.
 */
async function verifiedClaims(deps: AccessTokenDeps, token: string): Promise<Claims | null> {
	let cache = verifiedTokens.get(deps.keys.jwt);
	if (!cache) verifiedTokens.set(deps.keys.jwt, (cache = new Map()));
	// jose's rule: a token is expired once `exp` is at or before the current whole second.
	const nowSec = Math.floor(deps.clock.now() / 1000);
	const hit = cache.get(token);
	if (hit) {
		if (hit.exp > nowSec) return hit;
		cache.delete(token);
		return null;
	}
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

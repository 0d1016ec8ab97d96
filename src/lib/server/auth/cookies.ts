import type { Cookies } from '@sveltejs/kit';

/**
 * The refresh cookie's Path is the one URL that reads it (auth calls are sent unbatched, so the
 * path matches exactly); the access cookie exists only for <audio src>, under /api/calls.
 */
export const REFRESH_COOKIE = 'squelch_rt';
export const REFRESH_COOKIE_PATH = '/api/trpc/auth.refresh';
export const ACCESS_COOKIE = 'squelch_at';
export const ACCESS_COOKIE_PATH = '/api/calls';
/**
 * Readable by page scripts and holding no secret: it only tells the app that a refresh cookie
 * exists, so a browser that never signed in does not send a refresh doomed to a 401.
 */
export const SIGNED_IN_HINT_COOKIE = 'squelch_signed_in';

export interface CookieTarget {
	cookies: Cookies;
	secure: boolean;
}

export function setAuthCookies(
	target: CookieTarget,
	tokens: {
		accessToken: string;
		accessTtlSec: number;
		refreshToken: string;
		refreshTtlSec: number;
		rememberMe: boolean;
	}
) {
	const base = { httpOnly: true, sameSite: 'strict', secure: target.secure } as const;
	target.cookies.set(REFRESH_COOKIE, tokens.refreshToken, {
		...base,
		path: REFRESH_COOKIE_PATH,
		// Without rememberMe the cookie stays a browser-session cookie across every refresh.
		...(tokens.rememberMe ? { maxAge: tokens.refreshTtlSec } : {})
	});
	target.cookies.set(ACCESS_COOKIE, tokens.accessToken, {
		...base,
		path: ACCESS_COOKIE_PATH,
		maxAge: tokens.accessTtlSec
	});
	target.cookies.set(SIGNED_IN_HINT_COOKIE, '1', {
		...base,
		httpOnly: false,
		path: '/',
		...(tokens.rememberMe ? { maxAge: tokens.refreshTtlSec } : {})
	});
}

export function clearAuthCookies(target: CookieTarget) {
	const base = { httpOnly: true, sameSite: 'strict', secure: target.secure } as const;
	target.cookies.delete(REFRESH_COOKIE, { ...base, path: REFRESH_COOKIE_PATH });
	target.cookies.delete(ACCESS_COOKIE, { ...base, path: ACCESS_COOKIE_PATH });
	target.cookies.delete(SIGNED_IN_HINT_COOKIE, { ...base, httpOnly: false, path: '/' });
}

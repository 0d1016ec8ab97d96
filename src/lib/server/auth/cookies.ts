import type { Cookies } from '@sveltejs/kit';

/**
 * The refresh cookie's Path is the one URL that reads it (auth calls are sent unbatched, so the
 * path matches exactly); the access cookie exists only for <audio src>, under /api/calls.
 */
export const REFRESH_COOKIE = 'squelch_rt';
export const REFRESH_COOKIE_PATH = '/api/trpc/auth.refresh';
export const ACCESS_COOKIE = 'squelch_at';
export const ACCESS_COOKIE_PATH = '/api/calls';

export interface CookieTarget {
	cookies: Cookies;
	secure: boolean;
}

export function setAuthCookies(
	target: CookieTarget,
	tokens: { accessToken: string; accessTtlSec: number; refreshToken: string; refreshTtlSec: number; rememberMe: boolean }
) {
	const base = { httpOnly: true, sameSite: 'strict', secure: target.secure } as const;
	target.cookies.set(REFRESH_COOKIE, tokens.refreshToken, {
		...base,
		path: REFRESH_COOKIE_PATH,
		// Without rememberMe the cookie stays a browser-session cookie across every refresh.
		...(tokens.rememberMe ? { maxAge: tokens.refreshTtlSec } : {})
	});
	target.cookies.set(ACCESS_COOKIE, tokens.accessToken, { ...base, path: ACCESS_COOKIE_PATH, maxAge: tokens.accessTtlSec });
}

export function clearAuthCookies(target: CookieTarget) {
	const base = { httpOnly: true, sameSite: 'strict', secure: target.secure } as const;
	target.cookies.delete(REFRESH_COOKIE, { ...base, path: REFRESH_COOKIE_PATH });
	target.cookies.delete(ACCESS_COOKIE, { ...base, path: ACCESS_COOKIE_PATH });
}

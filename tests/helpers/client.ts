import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { CookieJar } from 'tough-cookie';
import type { AppRouter } from '../../src/lib/server/trpc/root';

/**
 * A fetch that keeps cookies in a real cookie jar (tough-cookie honours Path, Max-Age, Secure,
 * HttpOnly), the way a browser would.
 */
export function cookieFetch(jar = new CookieJar(), headers: Record<string, string> = {}) {
	const fetchWithJar = async (
		input: string | URL | Request,
		init: RequestInit = {}
	): Promise<Response> => {
		const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
		const h = new Headers(init.headers);
		for (const [k, v] of Object.entries(headers)) if (!h.has(k)) h.set(k, v);
		const cookie = await jar.getCookieString(url);
		if (cookie) h.set('cookie', cookie);
		const response = await fetch(url, { ...init, headers: h, redirect: 'manual' });
		for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url);
		return response;
	};
	return Object.assign(fetchWithJar, { jar });
}

export interface ClientOptions {
	/** Bearer access token, or a function giving the current one. */
	token?: string | (() => string | null | undefined);
	fetch?: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
	headers?: Record<string, string>;
}

/** A real tRPC client over HTTP, unbatched (auth calls must not be batched: cookie Path). */
export function trpc(baseUrl: string, opts: ClientOptions = {}) {
	return createTRPCClient<AppRouter>({
		links: [
			httpLink({
				url: `${baseUrl}/api/trpc`,
				transformer: superjson,
				fetch: opts.fetch as typeof fetch | undefined,
				headers() {
					const token = typeof opts.token === 'function' ? opts.token() : opts.token;
					return {
						...(opts.headers ?? {}),
						...(token ? { authorization: `Bearer ${token}` } : {})
					};
				}
			})
		]
	});
}

export type Client = ReturnType<typeof trpc>;

export const ADMIN = { username: 'admin', password: 'correct horse battery' };

/** Creates the first admin (if needed) and signs in; returns the access token and a client using it. */
export async function signInAdmin(baseUrl: string) {
	const anon = trpc(baseUrl);
	if ((await anon.setup.status.query()).needsSetup) await anon.setup.createAdmin.mutate(ADMIN);
	const auth = await anon.auth.login.mutate({ ...ADMIN, refreshTokenInBody: true });
	return { auth, token: auth.accessToken, client: trpc(baseUrl, { token: auth.accessToken }) };
}

/** Creates a user through the admin API and signs them in. */
export async function createAndSignIn(
	baseUrl: string,
	admin: Client,
	username: string,
	role: 'admin' | 'listener' = 'listener'
) {
	const password = `${username}-password-1`;
	const { id } = await admin.admin.users.create.mutate({ username, password, role });
	const auth = await trpc(baseUrl).auth.login.mutate({
		username,
		password,
		refreshTokenInBody: true
	});
	return {
		id,
		password,
		auth,
		token: auth.accessToken,
		client: trpc(baseUrl, { token: auth.accessToken })
	};
}

/** The tRPC error code of a rejected call, e.g. 'UNAUTHORIZED'. */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (err) {
		if (err instanceof TRPCClientError) return err.data?.code ?? 'UNKNOWN';
		throw err;
	}
	throw new Error('expected the call to fail, but it succeeded');
}

export type AuthResult = Awaited<ReturnType<Client['auth']['login']['mutate']>>;

/**
 * A script-style device: it keeps its refresh token in the body and, when asked for a token with
 * less than `minRemainingMs` left, rotates it first.
 */
export function refreshingDevice(baseUrl: string, auth: AuthResult) {
	let current = auth;
	return {
		sessionId: auth.session.id,
		async token(minRemainingMs = 0) {
			if (current.accessTokenExpiresAt - Date.now() <= minRemainingMs) {
				current = await trpc(baseUrl).auth.refresh.mutate({ refreshToken: current.refreshToken });
			}
			return current.accessToken;
		},
		get accessToken() {
			return current.accessToken;
		}
	};
}

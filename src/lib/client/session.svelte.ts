import type { AuthResult } from '$lib/server/trpc/routers/auth';
import { authApi, trpcErrorCode, trpcErrorData } from './auth-api';
import { retryDelayMs } from './backoff';

/**
 * The browser's sign-in state. The access token lives in memory only; the refresh token is an
 * HttpOnly cookie. One refresh is in flight per tab (a shared promise) and across tabs (a Web
 * Lock, with the fresh token shared over a BroadcastChannel so the other tabs need not refresh
 * at all). Every path that needs a token — HTTP 401 retry, the WebSocket's connectionParams,
 * audio retry — goes through getAccessToken()/refresh() here.
 *
 * Only a refresh the server refused (UNAUTHORIZED) signs the device out. A refresh that fails
 * for network reasons (no network, a 5xx, a proxy's 502) keeps the device signed in (or, on page
 * load, still restoring), sets `retrying`, and is tried again with jittered backoff.
 */
export type User = AuthResult['user'];
export type SessionStatus = 'unknown' | 'signed-in' | 'signed-out';

const LOCK = 'squelch-refresh';
const CHANNEL = 'squelch-session';

interface TokenMessage {
	type: 'token';
	accessToken: string;
	accessTokenExpiresAt: number;
	user: User;
	sessionId: string;
}
type ChannelMessage = TokenMessage | { type: 'signed-out'; reason: string | null };

class Session {
	status = $state<SessionStatus>('unknown');
	user = $state<User | null>(null);
	sessionId = $state<string | null>(null);
	/** Set when the server ended this session; the layout shows why. */
	signedOutReason = $state<string | null>(null);
	/** The device cap in force when the reason is 'cap'. */
	maxSessions = $state(20);
	/** The last refresh failed for network reasons; another is scheduled. */
	retrying = $state(false);

	private accessToken: string | null = null;
	private expiresAt = 0;
	private inflight: Promise<boolean> | null = null;
	private timer: ReturnType<typeof setTimeout> | undefined;
	private channel: BroadcastChannel | null = null;
	private restored: Promise<boolean> | null = null;
	/** Refreshes in a row that failed for network reasons: the backoff's attempt number. */
	private failures = 0;
	private waiters: Array<(signedIn: boolean) => void> = [];

	/** Restore the session from the refresh cookie (page load, new tab). Idempotent. */
	restore(): Promise<boolean> {
		this.listen();
		// No hint cookie: this browser holds no refresh cookie, so skip a refresh doomed to a 401.
		if (
			!this.restored &&
			!document.cookie.split('; ').some((c) => c.startsWith('squelch_signed_in='))
		) {
			this.status = 'signed-out';
			this.restored = Promise.resolve(false);
		}
		// A refusal signs out (clear); a network failure leaves the status 'unknown' and retries.
		this.restored ??= this.refresh();
		return this.restored;
	}

	async login(username: string, password: string, rememberMe: boolean): Promise<void> {
		this.listen();
		const result = await authApi.auth.login.mutate({ username, password, rememberMe });
		this.signedOutReason = null;
		this.accept(result, true);
	}

	/** Signs this device out here at once (the page reacts), then tells the server. */
	async logout(): Promise<void> {
		const token = await this.getAccessToken();
		this.clear(null);
		this.channel?.postMessage({ type: 'signed-out', reason: null } satisfies ChannelMessage);
		if (token) {
			await fetch('/api/trpc/auth.logout', {
				method: 'POST',
				headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
				body: '{}'
			}).catch(() => undefined);
		}
	}

	/** A token valid for a while yet, refreshing first if needed; null when signed out. */
	async getAccessToken(): Promise<string | null> {
		if (this.accessToken && this.expiresAt - Date.now() > 5_000) return this.accessToken;
		if (this.status === 'signed-out') return null;
		return (await this.refresh()) ? this.accessToken : null;
	}

	/**
	 * The token a new WebSocket authenticates with: null when signed out (an anonymous socket);
	 * throws while signed in (or restoring) without a usable token because refreshes fail, so the
	 * socket is not opened at all and the realtime layer tries again with backoff. A signed-in
	 * client never opens a socket without a token.
	 */
	async socketToken(): Promise<string | null> {
		const token = await this.getAccessToken();
		if (token || this.status === 'signed-out') return token;
		throw new Error('no access token: the refresh failed, trying again');
	}

	/** The server refused our token although it looked valid: forget it and refresh once. */
	async reauthenticate(): Promise<boolean> {
		if (this.status !== 'signed-in') return false;
		this.accessToken = null;
		this.expiresAt = 0;
		return this.refresh();
	}

	/** Resolves true with the next token this tab gets (a retried refresh, another tab), false on sign-out. */
	nextToken(): Promise<boolean> {
		if (this.status === 'signed-out') return Promise.resolve(false);
		return new Promise((resolve) => this.waiters.push(resolve));
	}

	/** One refresh per tab at a time, and one across tabs. Resolves true when signed in after it. */
	refresh(): Promise<boolean> {
		this.inflight ??= this.refreshAcrossTabs().finally(() => (this.inflight = null));
		return this.inflight;
	}

	/**
	 * A fetch that adds the bearer token and, on 401, refreshes once and retries once. While
	 * signed in without a usable token (refreshes failing) it rejects like a network error.
	 */
	fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
		const send = async (token: string | null) => {
			const headers = new Headers(init.headers);
			if (token) headers.set('authorization', `Bearer ${token}`);
			return fetch(input, { ...init, headers });
		};
		const used = await this.getAccessToken();
		// Signed in but no token (refreshes failing): the request could only be refused. Fail it
		// as the network failure it is, without sending it.
		if (!used && this.status !== 'signed-out')
			throw new TypeError('offline: the session could not be refreshed');
		const response = await send(used);
		if (response.status !== 401) return response;
		// Another path may have refreshed meanwhile; only refresh if we still hold the failed token.
		if (this.accessToken === used && !(await this.refresh())) return response;
		return send(this.accessToken);
	};

	/** Called by the realtime layer on close 4003: try one refresh, else show why we were signed out. */
	async handleRevoked(reason: string): Promise<void> {
		// Our own logout already ended things; a late 4003 for it must not change the message.
		if (this.status !== 'signed-in') return;
		this.accessToken = null;
		this.expiresAt = 0;
		if (!(await this.refresh())) this.signOut(reason);
	}

	signOut(reason: string | null) {
		this.clear(reason);
	}

	private async refreshAcrossTabs(): Promise<boolean> {
		const run = () => this.refreshNow();
		if (typeof navigator !== 'undefined' && navigator.locks) {
			const started = Date.now();
			return navigator.locks.request(LOCK, async () => {
				// Another tab may have refreshed while we waited for the lock, and shared its token.
				if (
					this.accessToken &&
					this.expiresAt - Date.now() > 5_000 &&
					this.lastAcceptedAt >= started
				)
					return true;
				return run();
			});
		}
		return run();
	}

	private lastAcceptedAt = 0;

	private async refreshNow(): Promise<boolean> {
		try {
			const result = await authApi.auth.refresh.mutate();
			this.accept(result, true);
			return true;
		} catch (err) {
			if (trpcErrorCode(err) === 'UNAUTHORIZED') {
				const data = trpcErrorData(err);
				const reason = data.revokeReason;
				if (data.maxSessions) this.maxSessions = Number(data.maxSessions);
				// A session the server ended says why (once: the server clears the cookie with the refusal).
				// No cookie at all, or a token it does not know, just means "not signed in".
				this.clear(typeof reason === 'string' && reason !== 'unknown' ? reason : null);
				return false;
			}
			// Network trouble (or a 5xx): keep what we have and try again, backing off with jitter.
			this.retrying = true;
			this.schedule(retryDelayMs(++this.failures));
			return this.accessToken !== null && this.expiresAt > Date.now();
		}
	}

	private accept(result: AuthResult, broadcast: boolean) {
		this.accessToken = result.accessToken;
		this.expiresAt = result.accessTokenExpiresAt;
		this.lastAcceptedAt = Date.now();
		this.user = result.user;
		this.sessionId = result.session.id;
		this.status = 'signed-in';
		this.signedOutReason = null;
		this.retrying = false;
		this.failures = 0;
		this.wake(true);
		const ttl = Math.max(0, this.expiresAt - Date.now());
		// Refresh shortly before expiry: a minute early, or a quarter of a short lifetime.
		this.schedule(Math.max(1_000, ttl - Math.min(60_000, ttl / 4)));
		if (broadcast) {
			this.channel?.postMessage({
				type: 'token',
				accessToken: result.accessToken,
				accessTokenExpiresAt: result.accessTokenExpiresAt,
				user: result.user,
				sessionId: result.session.id
			} satisfies ChannelMessage);
		}
	}

	private schedule(ms: number) {
		clearTimeout(this.timer);
		this.timer = setTimeout(() => void this.refresh(), ms);
	}

	private clear(reason: string | null) {
		clearTimeout(this.timer);
		this.accessToken = null;
		this.expiresAt = 0;
		this.user = null;
		this.sessionId = null;
		this.status = 'signed-out';
		this.signedOutReason = reason;
		this.retrying = false;
		this.failures = 0;
		this.wake(false);
	}

	private wake(signedIn: boolean) {
		for (const resolve of this.waiters.splice(0)) resolve(signedIn);
	}

	private listen() {
		if (this.channel || typeof BroadcastChannel === 'undefined') return;
		this.channel = new BroadcastChannel(CHANNEL);
		this.channel.onmessage = (event: MessageEvent<ChannelMessage>) => {
			const msg = event.data;
			if (msg.type === 'token') {
				this.accept(
					{
						accessToken: msg.accessToken,
						accessTokenExpiresAt: msg.accessTokenExpiresAt,
						user: msg.user,
						session: { id: msg.sessionId }
					},
					false
				);
			} else if (msg.type === 'signed-out' && this.status === 'signed-in') {
				this.clear(msg.reason);
			}
		};
	}
}

export const session = new Session();

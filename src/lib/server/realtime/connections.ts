import { WebSocket } from 'ws';
import type { Clock } from '../core/clock';
import type { Bus } from '../core/bus';
import type { Viewer } from '../auth/access-token';
import type { RevokeReason } from '../core/db/types';
import { ACCOUNT_EXPIRED, RECONNECT_NOTICE, sessionRevoked, TOKEN_EXPIRED } from './close-codes';
import { Deadlines, type Deadline } from './deadlines';

/** How long before its token expires a socket is asked to reconnect: a fifth of its life, 1–30 s. */
export function noticeLeadMs(remainingMs: number): number {
	return Math.min(30_000, Math.max(1_000, Math.floor(remainingMs / 5)));
}

// A revocation racing a socket's authentication (token verified, socket not yet registered).
const REVOKED_MEMORY_MS = 60_000;

interface Entry {
	viewer: Viewer | null;
	/** The reconnect notice and the 4001 close (signed-in sockets). */
	notice?: Deadline;
	expiry?: Deadline;
	/** Closes the socket when the account expires before its token does; re-armed on change. */
	account?: Deadline;
}

/**
 * The authenticated sockets of one WebSocket server and the rules on their lifetime: a reconnect
 * notice shortly before the access token expires and `4001` once it has; `4004` when the account
 * expires first (an admin's expiresAt; re-armed when it changes); `4003` when the session is
 * revoked; a reconnect notice when what a user may see changes (their next socket gets a
 * fresh context: role, access scope, resuming from its last id).
 */
export class Connections {
	private entries = new Map<WebSocket, Entry>();
	private recentlyRevoked = new Map<string, { reason: RevokeReason; at: number }>();
	private unsubscribe: Array<() => void>;
	/** Every socket's deadlines behind one timer (deadlines.ts). */
	private deadlines: Deadlines;

	constructor(private deps: { bus: Bus; clock: Clock }) {
		this.deadlines = new Deadlines(deps.clock);
		this.unsubscribe = [
			deps.bus.subscribe('session.revoked', ({ sessionId, reason }) =>
				this.revoke(sessionId, reason)
			),
			// A user's role or grants changed: their sockets need a new context. A global change
			// (public listening, systems) only changes what anonymous listeners may hear; a
			// signed-in user's scope is their own grants, which a global change does not narrow.
			deps.bus.subscribe('access.changed', ({ userId }) =>
				this.askToReconnect((e) =>
					userId === null ? e.viewer === null : e.viewer?.userId === userId
				)
			),
			deps.bus.subscribe('account.expiry', ({ userId, expiresAt }) => {
				for (const [socket, entry] of this.entries)
					if (entry.viewer?.userId === userId) this.armAccountExpiry(socket, entry, expiresAt);
			})
		];
	}

	add(socket: WebSocket, viewer: Viewer | null): void {
		if (socket.readyState !== WebSocket.OPEN) return;
		const revoked = viewer && this.recentlyRevoked.get(viewer.sessionId);
		if (revoked)
			return void socket.close(
				sessionRevoked(revoked.reason).code,
				sessionRevoked(revoked.reason).reason
			);

		const entry: Entry = { viewer };
		if (viewer) {
			const now = this.deps.clock.now();
			const remaining = viewer.tokenExpiresAt - now;
			const noticeIn = remaining - noticeLeadMs(remaining);
			// A socket that arrives with an almost spent token gets no notice (it would only come
			// straight back with the same token); it is closed at expiry and reconnects then.
			if (noticeIn > 0)
				entry.notice = this.deadlines.at(now + noticeIn, () => send(socket, RECONNECT_NOTICE));
			entry.expiry = this.deadlines.at(Math.max(now, viewer.tokenExpiresAt), () => {
				this.remove(socket);
				socket.close(TOKEN_EXPIRED.code, TOKEN_EXPIRED.reason);
			});
			this.armAccountExpiry(socket, entry, viewer.accountExpiresAt ?? null);
		}
		this.entries.set(socket, entry);
	}

	/** The socket has closed (the server's one close listener calls this). */
	closed(socket: WebSocket): void {
		this.remove(socket);
	}

	count(): number {
		return this.entries.size;
	}

	/** Stops watching the bus and the clocks (shutdown); the sockets themselves are left alone. */
	dispose(): void {
		for (const off of this.unsubscribe) off();
		for (const socket of [...this.entries.keys()]) this.remove(socket);
		this.deadlines.clear();
	}

	private revoke(sessionId: string, reason: RevokeReason): void {
		const now = this.deps.clock.now();
		this.recentlyRevoked.set(sessionId, { reason, at: now });
		for (const [id, r] of this.recentlyRevoked)
			if (now - r.at > REVOKED_MEMORY_MS) this.recentlyRevoked.delete(id);
		const { code, reason: text } = sessionRevoked(reason);
		for (const [socket, entry] of this.entries) {
			if (entry.viewer?.sessionId !== sessionId) continue;
			this.remove(socket);
			socket.close(code, text);
		}
	}

	private armAccountExpiry(socket: WebSocket, entry: Entry, expiresAt: number | null): void {
		entry.account?.cancel();
		entry.account = undefined;
		// The token's own expiry (4001) comes first otherwise; the next socket arms it again.
		if (expiresAt === null || !entry.viewer || expiresAt >= entry.viewer.tokenExpiresAt) return;
		entry.account = this.deadlines.at(Math.max(this.deps.clock.now(), expiresAt), () => {
			this.remove(socket);
			socket.close(ACCOUNT_EXPIRED.code, ACCOUNT_EXPIRED.reason);
		});
	}

	private askToReconnect(match: (entry: Entry) => boolean): void {
		for (const [socket, entry] of this.entries) if (match(entry)) send(socket, RECONNECT_NOTICE);
	}

	private remove(socket: WebSocket): void {
		const entry = this.entries.get(socket);
		if (!entry) return;
		entry.notice?.cancel();
		entry.expiry?.cancel();
		entry.account?.cancel();
		this.entries.delete(socket);
	}
}

function send(socket: WebSocket, data: string): void {
	if (socket.readyState === WebSocket.OPEN) socket.send(data);
}

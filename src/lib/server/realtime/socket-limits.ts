import type { WebSocket } from 'ws';
import { AUTH_TIMEOUT } from './close-codes';
import { AuthQueue, type AuthWaiter } from './auth-queue';
import { monotonicMs } from './keep-alive';

/** A socket's bound on open subscriptions: `take` before one starts, `release` when it ends. */
export interface SubscriptionSlots {
	readonly max: number;
	take(): boolean;
	release(): void;
}

/**
 * The per-socket and per-address limits of the WebSocket server (docs/security.md):
 * - at most `maxSubscriptions` subscriptions open on one socket (the next is refused with
 *   TOO_MANY_REQUESTS by the socket server, trpc-socket.ts, which calls `take`);
 * - at most `maxPerIp` sockets open from one client address (the upgrade is answered 429);
 *   loopback peers are not counted: a local reverse proxy without SQUELCH_TRUST_PROXY would
 *   otherwise put every user behind one address;
 * - an anonymous socket that holds no subscription for `authTimeoutMs` (it never sent a valid
 *   token, or its only subscription ended) is closed `4008 authentication timeout`. A signed-in
 *   socket is bounded by its token's life instead.
 */
export interface SocketLimitOptions {
	maxSubscriptions: number;
	maxPerIp: number;
	authTimeoutMs: number;
}

class SocketState implements SubscriptionSlots, AuthWaiter {
	open = 0;
	signedIn = false;
	/** When the authentication timeout closes it (monotonic ms), 0 when not armed (auth-queue.ts). */
	authDue = 0;

	constructor(
		private socket: WebSocket | null,
		readonly ip: string,
		readonly max: number,
		private authTimeoutMs: number,
		private queue: AuthQueue
	) {
		this.armAuthTimer();
	}

	take(): boolean {
		if (this.open >= this.max) return false;
		this.open++;
		this.disarm();
		return true;
	}

	release(): void {
		this.open = Math.max(0, this.open - 1);
		if (this.open === 0) this.armAuthTimer();
	}

	markSignedIn(): void {
		this.signedIn = true;
		this.disarm();
	}

	disarm(): void {
		this.authDue = 0;
	}

	/** The socket has closed: its queue entry, until due, keeps no socket alive. */
	forget(): void {
		this.disarm();
		this.socket = null;
	}

	expire(): void {
		if (!this.signedIn && this.open === 0)
			this.socket?.close(AUTH_TIMEOUT.code, AUTH_TIMEOUT.reason);
	}

	private armAuthTimer(): void {
		if (this.signedIn || this.authDue !== 0 || !this.socket) return;
		this.queue.arm(this, monotonicMs() + this.authTimeoutMs);
	}
}

export class SocketLimits {
	private states = new WeakMap<WebSocket, SocketState>();
	private perIp = new Map<string, number>();
	private authQueue = new AuthQueue(monotonicMs);

	constructor(private opts: () => SocketLimitOptions) {}

	/** Whether one more socket from `ip` may open (checked before the upgrade). */
	admits(ip: string): boolean {
		return isLoopback(ip) || (this.perIp.get(ip) ?? 0) < this.opts().maxPerIp;
	}

	/** A socket has opened: count it, start its authentication clock. */
	opened(socket: WebSocket, ip: string): void {
		const { maxSubscriptions, authTimeoutMs } = this.opts();
		const state = new SocketState(socket, ip, maxSubscriptions, authTimeoutMs, this.authQueue);
		this.states.set(socket, state);
		if (!isLoopback(ip)) this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
	}

	/** The socket has closed (the server's one close listener calls this): uncount it. */
	closed(socket: WebSocket): void {
		const state = this.states.get(socket);
		if (!state) return;
		this.states.delete(socket);
		state.forget();
		const { ip } = state;
		if (isLoopback(ip)) return;
		const left = (this.perIp.get(ip) ?? 1) - 1;
		if (left > 0) this.perIp.set(ip, left);
		else this.perIp.delete(ip);
	}

	/** Shutdown: no authentication timeout runs any more. */
	stop(): void {
		this.authQueue.stop();
	}

	/** The socket's context is built: a viewer means it is signed in. */
	authenticated(socket: WebSocket, signedIn: boolean): SubscriptionSlots | undefined {
		const state = this.states.get(socket);
		if (state && signedIn) state.markSignedIn();
		return state;
	}
}

function isLoopback(ip: string): boolean {
	return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

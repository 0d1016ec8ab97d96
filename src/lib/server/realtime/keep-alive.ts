import type { WebSocket } from 'ws';

/** What the sweep reads and writes on each socket (trpc-socket.ts keeps these current). */
export interface KeptAlive {
	readonly ws: WebSocket;
	/** Monotonic ms of the last message from the client. */
	lastSeen: number;
	/** When the unanswered PING went out, or 0. */
	pingedAt: number;
}

/** Monotonic milliseconds: liveness of the network, not the app's clock (which tests move). */
export const monotonicMs = () => performance.now();

/**
 * tRPC's keep-alive for every socket of a server from one interval instead of two timers per
 * socket re-armed on every message: a socket quiet for `pingMs` gets "PING"; one that then sends
 * nothing for `pongWaitMs` is terminated. The sweep runs every quarter of the shorter of the two,
 * so each step happens at most that much late.
 */
export class KeepAlive {
	private sockets = new Set<KeptAlive>();
	private timer: NodeJS.Timeout;

	constructor(
		private pingMs: number,
		private pongWaitMs: number
	) {
		this.timer = setInterval(() => this.sweep(), Math.max(5, Math.min(pingMs, pongWaitMs) / 4));
		this.timer.unref();
	}

	add(socket: KeptAlive): void {
		this.sockets.add(socket);
	}

	delete(socket: KeptAlive): void {
		this.sockets.delete(socket);
	}

	stop(): void {
		clearInterval(this.timer);
		this.sockets.clear();
	}

	private sweep(): void {
		const now = monotonicMs();
		for (const s of this.sockets) {
			if (s.pingedAt === 0) {
				if (now - s.lastSeen < this.pingMs) continue;
				s.pingedAt = now;
				if (s.ws.readyState === 1) s.ws.send('PING');
			} else if (now - s.pingedAt >= this.pongWaitMs) {
				this.sockets.delete(s);
				s.ws.terminate();
			}
		}
	}
}

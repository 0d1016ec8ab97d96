import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { SLOW_CONSUMER } from './close-codes';

/** Default bound on what one socket may have waiting to be sent. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * The server-side socket class: sends never block (so one listener never makes others wait),
 * and a socket whose unsent bytes pass the bound is closed `1013 slow consumer` instead of
 * growing server memory. Once closing, further sends are dropped; the client resumes from its
 * last id when it reconnects.
 */
export function boundedWebSocket(
	maxBufferedBytes: number,
	onCutOff: () => void = () => {}
): typeof WebSocket {
	/**
	 * Frames sent in one synchronous pass (the live feed handing several new calls to every
	 * listener) leave in one write instead of one system call each: Node's cork/uncork pattern
	 * on the underlying TCP socket, which `ws` keeps in `_socket`. One uncork pass per tick for
	 * every socket corked in it, not a callback per socket (a fan-out to 10,000 listeners).
	 */
	const corkedSockets: BoundedWebSocket[] = [];
	const corkedRaw: Duplex[] = [];
	const uncorkAll = () => {
		for (let i = 0; i < corkedSockets.length; i++) {
			corkedSockets[i].corked = false;
			corkedRaw[i].uncork();
		}
		corkedSockets.length = 0;
		corkedRaw.length = 0;
	};

	class BoundedWebSocket extends WebSocket {
		corked = false;

		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		override send(data: any, options?: any, cb?: any): void {
			if (this.readyState !== WebSocket.OPEN) return;
			if (!this.corked) this.cork();
			super.send(data, options, cb);
			if (this.bufferedAmount > maxBufferedBytes) {
				this.close(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
				onCutOff();
			}
		}

		private cork(): void {
			const raw = (this as unknown as { _socket?: Duplex | null })._socket;
			if (!raw) return;
			this.corked = true;
			raw.cork();
			if (corkedSockets.push(this) === 1) process.nextTick(uncorkAll);
			corkedRaw.push(raw);
		}
	}
	return BoundedWebSocket;
}

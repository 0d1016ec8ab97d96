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
export function boundedWebSocket(maxBufferedBytes: number, onCutOff: () => void = () => {}): typeof WebSocket {
	return class BoundedWebSocket extends WebSocket {
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		override send(data: any, options?: any, cb?: any): void {
			if (this.readyState !== WebSocket.OPEN) return;
			super.send(data, options, cb);
			if (this.bufferedAmount > maxBufferedBytes) {
				this.close(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
				onCutOff();
			}
		}
	};
}

/**
 * A WebSocket whose close() on a socket that is still connecting waits for `open` and closes
 * then. Closing a CONNECTING socket is what makes browsers print "WebSocket is closed before the
 * connection is established"; with this class no code path (tRPC's reconnect, a logout, a
 * navigation) can do it. A socket that never opens needs no close: it fails on its own.
 */
export function safeWebSocketClass(
	Base: typeof WebSocket = globalThis.WebSocket
): typeof WebSocket {
	return class SafeWebSocket extends Base {
		override close(code?: number, reason?: string): void {
			if (this.readyState === Base.CONNECTING) {
				this.addEventListener('open', () => super.close(code, reason), { once: true });
				return;
			}
			super.close(code, reason);
		}
	};
}

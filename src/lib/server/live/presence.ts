/**
 * Connected listeners, counted per session (a session with three tabs open is one listener).
 * The realtime layer reports connects and disconnects; the dashboard and the listener count read it.
 */
export class Presence {
	private sockets = new Map<string, number>();
	private listeners = new Set<(count: number) => void>();

	connected(sessionKey: string): void {
		const before = this.sockets.get(sessionKey) ?? 0;
		this.sockets.set(sessionKey, before + 1);
		if (before === 0) this.changed();
	}

	disconnected(sessionKey: string): void {
		const before = this.sockets.get(sessionKey) ?? 0;
		if (before <= 1) {
			if (this.sockets.delete(sessionKey)) this.changed();
		} else this.sockets.set(sessionKey, before - 1);
	}

	count(): number {
		return this.sockets.size;
	}

	/** Called with the new count whenever it changes; returns the unsubscribe function. */
	onChange(listener: (count: number) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private changed() {
		const count = this.count();
		for (const listener of this.listeners) listener(count);
	}
}

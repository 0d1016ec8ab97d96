/**
 * Connected listeners, counted per session (a session with three tabs open is one listener).
 * The realtime layer reports this process's connects and disconnects; presence-sync.ts writes
 * them to the database and hands back the sessions other instances hold, so count() is the
 * number of distinct sessions listening on every instance (as of the last sync).
 */
export class Presence {
	private sockets = new Map<string, number>();
	private remote = new Set<string>();
	private listeners = new Set<(count: number) => void>();
	private localListeners = new Set<() => void>();

	connected(sessionKey: string): void {
		const before = this.sockets.get(sessionKey) ?? 0;
		this.sockets.set(sessionKey, before + 1);
		if (before === 0) this.changed(true);
	}

	disconnected(sessionKey: string): void {
		const before = this.sockets.get(sessionKey) ?? 0;
		if (before <= 1) {
			if (this.sockets.delete(sessionKey)) this.changed(true);
		} else this.sockets.set(sessionKey, before - 1);
	}

	/** Distinct sessions listening here or on another live instance. */
	count(): number {
		let count = this.sockets.size;
		for (const key of this.remote) if (!this.sockets.has(key)) count++;
		return count;
	}

	/** The sessions listening on this instance. */
	localKeys(): string[] {
		return [...this.sockets.keys()];
	}

	/** The sessions other instances report (presence-sync.ts). */
	setRemote(keys: Iterable<string>): void {
		const before = this.count();
		this.remote = new Set(keys);
		if (this.count() !== before) this.changed(false);
	}

	/** Called with the new count whenever it changes; returns the unsubscribe function. */
	onChange(listener: (count: number) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Called when this instance's own set of sessions changed (to write it out). */
	onLocalChange(listener: () => void): () => void {
		this.localListeners.add(listener);
		return () => this.localListeners.delete(listener);
	}

	private changed(local: boolean) {
		if (local) for (const listener of this.localListeners) listener();
		const count = this.count();
		for (const listener of this.listeners) listener(count);
	}
}

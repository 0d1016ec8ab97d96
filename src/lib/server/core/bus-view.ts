import type { Bus } from './bus';
import type { Clock } from './clock';

interface Held<V> {
	userId: number;
	value: V;
	readAt: number;
}

export const BUS_VIEW_SIZE = 10_000;

/**
 * Rows that a hot path would otherwise read from the database on every request, held in memory
 * per user and kept current by the bus: `access.changed` and `account.expiry` drop the user's
 * entries (every entry when the change is global), `session.revoked` drops the session's entry
 * when keys are session ids. With a bus that crosses instances the other instances' changes
 * arrive the same way. `maxAgeMs` bounds how long a change that no event announces (or an event
 * lost between instances) can go unseen. At most BUS_VIEW_SIZE entries, oldest out first.
 */
export class BusView<K, V> {
	private readonly held = new Map<K, Held<V>>();
	/** Bumped by every event: a read that started before one is not kept (it may predate it). */
	private generation = 0;

	constructor(
		private readonly clock: Clock,
		private readonly maxAgeMs: number,
		bus: Bus,
		keysAreSessions = false
	) {
		bus.subscribe('access.changed', ({ userId }) => this.forgetUser(userId));
		bus.subscribe('account.expiry', ({ userId }) => this.forgetUser(userId));
		if (keysAreSessions)
			bus.subscribe('session.revoked', ({ sessionId }) => {
				this.generation++;
				this.held.delete(sessionId as K);
			});
	}

	/** The held value for this key and user, or undefined when it must be read again. */
	get(key: K, userId: number): V | undefined {
		const entry = this.held.get(key);
		if (!entry || entry.userId !== userId) return undefined;
		if (this.clock.now() - entry.readAt >= this.maxAgeMs) {
			this.held.delete(key);
			return undefined;
		}
		return entry.value;
	}

	/** The held value, or `read()`'s answer, kept unless an event came while it was read. */
	async through(key: K, userId: number, read: () => Promise<V>): Promise<V> {
		const hit = this.get(key, userId);
		if (hit !== undefined) return hit;
		const readAt = this.clock.now();
		const generation = this.generation;
		const value = await read();
		if (this.maxAgeMs > 0 && generation === this.generation) {
			this.held.delete(key);
			if (this.held.size >= BUS_VIEW_SIZE) this.held.delete(this.held.keys().next().value as K);
			this.held.set(key, { userId, value, readAt });
		}
		return value;
	}

	private forgetUser(userId: number | null): void {
		this.generation++;
		for (const [key, entry] of this.held)
			if (userId === null || entry.userId === userId) this.held.delete(key);
	}
}

import type { RevokeReason } from './db/types';

/**
 * What travels on the bus. In one process (SQLite) it is InProcessBus below; on PostgreSQL it is
 * PgBus (pg-bus.ts, LISTEN/NOTIFY between instances). Payloads are small: ids, never bodies.
 */
export interface BusTopics {
	/** A call was stored; `callId` is the calls row id. */
	'call.ingested': { callId: number };
	/**
	 * Calls were published (rows added to call_publications): wakes the live feed. `delayed`: at
	 * least one of them is held back from non-exempt listeners, so the delay scheduler re-arms.
	 */
	'call.published': { count: number; delayed?: boolean };
	/** A session was revoked: its access tokens and sockets must stop now. */
	'session.revoked': { sessionId: string; userId: number; reason: RevokeReason };
	/** A row was appended to the admin event log. */
	'admin.event': { id: number };
	/** Something that changes what a user may hear (grants, role, talkgroups). */
	'access.changed': { userId: number | null };
	/** Alerts rows were written (alerts/decide.ts); `id` is the newest. */
	'alert.raised': { id: number };
	/** An instance wrote a change of its listening sessions (live/presence-sync.ts). */
	'presence.changed': { instanceId: string };
	/** Alert rules were created, changed or deleted: rule indexes are rebuilt (alerts/rules.ts). */
	'alert.rules.changed': Record<string, never>;
	/** A call's transcript was stored (transcripts/): keyword alert rules are decided now. */
	'transcript.stored': { callId: number };
	/** A user's account expiry was set, moved or cleared (epoch ms, null: never). */
	'account.expiry': { userId: number; expiresAt: number | null };
}

export type Topic = keyof BusTopics;
export type Handler<T extends Topic> = (payload: BusTopics[T]) => void;

/** For /api/health: a load balancer takes an instance whose bus is not listening out. */
export interface BusHealth {
	kind: 'in-process' | 'postgres';
	state: 'connecting' | 'listening' | 'reconnecting' | 'stopped';
}

export interface Bus {
	health(): BusHealth;
	publish<T extends Topic>(topic: T, payload: BusTopics[T]): void;
	/** Returns the unsubscribe function. */
	subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void;
	/** Closes connections (PgBus); the last step of shutdown before the database. */
	stop?(): Promise<void>;
}

export class InProcessBus implements Bus {
	private handlers = new Map<Topic, Set<Handler<Topic>>>();

	health(): BusHealth {
		return { kind: 'in-process', state: 'listening' };
	}

	publish<T extends Topic>(topic: T, payload: BusTopics[T]): void {
		const set = this.handlers.get(topic);
		if (!set) return;
		for (const handler of [...set]) {
			try {
				(handler as Handler<T>)(payload);
			} catch (err) {
				// One bad subscriber must not stop delivery to the rest.
				console.error(`bus handler for ${topic} failed:`, err);
			}
		}
	}

	subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
		let set = this.handlers.get(topic);
		if (!set) this.handlers.set(topic, (set = new Set()));
		set.add(handler as Handler<Topic>);
		return () => set.delete(handler as Handler<Topic>);
	}
}

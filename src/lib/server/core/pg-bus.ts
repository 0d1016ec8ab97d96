import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
	InProcessBus,
	type Bus,
	type BusHealth,
	type BusTopics,
	type Handler,
	type Topic
} from './bus';

/** The one PostgreSQL channel every instance LISTENs on (docs/scaling.md). */
export const BUS_CHANNEL = 'squelch_bus';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; messages carry ids, never bodies. */
export const MAX_PAYLOAD_BYTES = 7999;

/** One message as it travels through NOTIFY: sender, sender's sequence, topic, payload. */
interface Wire {
	o: string;
	n: number;
	t: Topic;
	p: unknown;
}

/**
 * Sent to local subscribers after the listening connection comes back: NOTIFYs sent while it was
 * down are lost, so every reader that only needs waking (feeds, workers, the delay scheduler)
 * re-reads the database. Revocations missed in that gap still end at the token's expiry.
 */
const RESYNC: Array<{ [T in Topic]: [T, BusTopics[T]] }[Topic]> = [
	['call.published', { count: 0, delayed: true }],
	['admin.event', { id: 0 }],
	['alert.raised', { id: 0 }]
];

export interface PgBusOptions {
	connectionString: string;
	/** This process's id (app.ts): its own messages come back through LISTEN and are dropped. */
	instanceId?: string;
	/** Reconnect backoff of the listening connection: first wait, and the longest (ms). */
	minBackoffMs?: number;
	maxBackoffMs?: number;
}

/**
 * The bus between instances on one PostgreSQL: publish delivers to this process's subscribers at
 * once (as InProcessBus does) and sends `pg_notify`; one dedicated connection LISTENs and hands
 * other instances' messages to the local subscribers. Its own echoes are dropped by instance id,
 * so every local subscriber sees each message exactly once.
 */
export class PgBus implements Bus {
	readonly instanceId: string;
	private local = new InProcessBus();
	private sent = 0;
	private queue: string[] = [];
	private flushing = false;
	private listener: pg.Client | null = null;
	private publisher: pg.Pool;
	private state: BusHealth['state'] = 'connecting';
	private stopped = false;
	private retryTimer: NodeJS.Timeout | null = null;
	private backoffMs: number;
	private ready: Promise<void>;
	private stateListeners = new Set<(state: BusHealth['state']) => void>();

	constructor(private opts: PgBusOptions) {
		this.instanceId = opts.instanceId ?? randomUUID();
		this.backoffMs = opts.minBackoffMs ?? 100;
		// One connection: messages leave in the order they were published.
		this.publisher = new pg.Pool({ connectionString: opts.connectionString, max: 1 });
		this.publisher.on('error', (err) => console.error('Squelch bus: publisher:', err.message));
		this.ready = this.connect();
	}

	/** Resolves once the first LISTEN is in place (start-up waits for it). */
	started(): Promise<void> {
		return this.ready;
	}

	health(): BusHealth {
		return { kind: 'postgres', state: this.state };
	}

	/** Called on every state change (tests and the health route watch it). */
	onState(listener: (state: BusHealth['state']) => void): () => void {
		this.stateListeners.add(listener);
		return () => this.stateListeners.delete(listener);
	}

	publish<T extends Topic>(topic: T, payload: BusTopics[T]): void {
		this.local.publish(topic, payload);
		if (this.stopped) return;
		const wire = JSON.stringify({ o: this.instanceId, n: ++this.sent, t: topic, p: payload });
		if (Buffer.byteLength(wire) > MAX_PAYLOAD_BYTES) {
			console.error(`Squelch bus: a ${topic} message is over ${MAX_PAYLOAD_BYTES} bytes; not sent`);
			return;
		}
		this.queue.push(wire);
		if (!this.flushing) void this.flush();
	}

	subscribe<T extends Topic>(topic: T, handler: Handler<T>): () => void {
		return this.local.subscribe(topic, handler);
	}

	async stop(): Promise<void> {
		this.stopped = true;
		if (this.retryTimer) clearTimeout(this.retryTimer);
		while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
		this.setState('stopped');
		await Promise.allSettled([this.listener?.end(), this.publisher.end()]);
	}

	/** Sends everything queued, many messages per round trip (the serial sequence keeps NOTIFY from merging twins). */
	private async flush(): Promise<void> {
		this.flushing = true;
		try {
			while (this.queue.length) {
				const batch = this.queue.splice(0, 500);
				try {
					await this.publisher.query('select pg_notify($1, m) from unnest($2::text[]) as m', [
						BUS_CHANNEL,
						batch
					]);
				} catch (err) {
					// Local subscribers already have them; other instances catch up on their next wake.
					console.error(
						`Squelch bus: ${batch.length} message(s) not sent:`,
						err instanceof Error ? err.message : err
					);
				}
			}
		} finally {
			this.flushing = false;
		}
	}

	private async connect(): Promise<void> {
		const client = new pg.Client({ connectionString: this.opts.connectionString, keepAlive: true });
		const lost = (err?: Error) => {
			if (this.listener !== client) return;
			this.listener = null;
			if (err) console.error('Squelch bus: listening connection lost:', err.message);
			client.end().catch(() => {});
			this.retry();
		};
		client.on('error', lost);
		client.on('end', () => lost());
		client.on('notification', (msg) => this.receive(msg.channel, msg.payload));
		try {
			await client.connect();
			await client.query(`listen ${BUS_CHANNEL}`);
		} catch (err) {
			console.error('Squelch bus: could not listen:', err instanceof Error ? err.message : err);
			client.removeAllListeners('end');
			client.end().catch(() => {});
			if (this.stopped) return;
			this.retry();
			return;
		}
		if (this.stopped) return void client.end().catch(() => {});
		const wasDown = this.state === 'reconnecting';
		this.listener = client;
		this.backoffMs = this.opts.minBackoffMs ?? 100;
		this.setState('listening');
		if (wasDown) for (const [topic, payload] of RESYNC) this.local.publish(topic, payload);
	}

	private retry(): void {
		if (this.stopped) return;
		this.setState('reconnecting');
		const wait = this.backoffMs * (0.5 + Math.random() / 2); // jitter: instances don't reconnect in step
		this.backoffMs = Math.min(this.opts.maxBackoffMs ?? 5_000, this.backoffMs * 2);
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			void this.connect();
		}, wait);
		this.retryTimer.unref?.();
	}

	private receive(channel: string, payload: string | undefined): void {
		if (channel !== BUS_CHANNEL || !payload) return;
		let wire: Wire;
		try {
			wire = JSON.parse(payload) as Wire;
		} catch {
			return;
		}
		if (wire.o === this.instanceId) return; // delivered in-process when it was published
		this.local.publish(wire.t, wire.p as BusTopics[Topic]);
	}

	private setState(state: BusHealth['state']): void {
		if (this.state === state) return;
		this.state = state;
		for (const listener of this.stateListeners) listener(state);
	}
}

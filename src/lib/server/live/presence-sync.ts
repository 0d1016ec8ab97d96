import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import type { Presence } from './presence';

export interface PresenceSyncDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	presence: Presence;
	/** This process's id (app.ts), shared with the bus. */
	instanceId: string;
	/** SQUELCH_PRESENCE_TTL: an instance whose heartbeat is older than this is gone (ms). */
	ttlMs: number;
}

/** A change of this instance's listeners is written after this long, so a burst is one write. */
const FLUSH_DELAY_MS = 250;
const CHUNK = 500;

/**
 * Presence shared through the database: each instance writes its own listening sessions (only
 * the difference since the last write, batched) and beats its `instances` row every third of the
 * TTL. Any instance deletes the rows of instances that stopped beating. The sessions held by the
 * other live instances are read back into Presence, so counts are summed over instances with no
 * database work per delivered call.
 */
export class PresenceSync {
	private written = new Set<string>();
	private queue: Promise<void> = Promise.resolve();
	private flushTimer: NodeJS.Timeout | null = null;
	private beatTimer: NodeJS.Timeout | null = null;
	private offs: Array<() => void> = [];
	private stopped = false;

	constructor(private deps: PresenceSyncDeps) {}

	async start(): Promise<void> {
		await this.serial(async () => {
			await this.register();
			await this.reap();
			await this.readRemote();
		});
		this.offs.push(
			this.deps.presence.onLocalChange(() => {
				this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
				this.flushTimer.unref?.();
			}),
			this.deps.bus.subscribe('presence.changed', ({ instanceId }) => {
				if (instanceId !== this.deps.instanceId) void this.serial(() => this.readRemote());
			})
		);
		this.beatTimer = setInterval(() => void this.beat(), Math.max(1000, this.deps.ttlMs / 3));
		this.beatTimer.unref?.();
	}

	/** Writes this instance's sessions now; resolves when written (tests call it directly). */
	flush(): Promise<void> {
		if (this.flushTimer) clearTimeout(this.flushTimer);
		this.flushTimer = null;
		return this.serial(async () => {
			if (await this.writeLocal())
				this.deps.bus.publish('presence.changed', { instanceId: this.deps.instanceId });
		});
	}

	/** The heartbeat: proves this instance alive, drops dead ones, re-reads the others. */
	beat(): Promise<void> {
		return this.serial(async () => {
			const now = this.deps.clock.now();
			const touched = await this.deps.db
				.updateTable('instances')
				.set({ heartbeat_at: now })
				.where('id', '=', this.deps.instanceId)
				.executeTakeFirst();
			if (Number(touched.numUpdatedRows) === 0) {
				// Reaped by another instance after a stall: come back with every session.
				await this.register();
				this.written.clear();
				await this.writeLocal();
			}
			await this.reap();
			await this.readRemote();
		});
	}

	async stop(): Promise<void> {
		this.stopped = true;
		for (const off of this.offs) off();
		if (this.flushTimer) clearTimeout(this.flushTimer);
		if (this.beatTimer) clearInterval(this.beatTimer);
		await this.queue;
		await this.deps.db
			.deleteFrom('presence')
			.where('instance_id', '=', this.deps.instanceId)
			.execute();
		await this.deps.db.deleteFrom('instances').where('id', '=', this.deps.instanceId).execute();
	}

	private serial(step: () => Promise<void>): Promise<void> {
		const next = this.queue.then(() => (this.stopped ? undefined : step()));
		this.queue = next.catch((err) =>
			console.error('Squelch presence sync failed:', err instanceof Error ? err.message : err)
		);
		return this.queue;
	}

	private async register(): Promise<void> {
		const now = this.deps.clock.now();
		await this.deps.db
			.insertInto('instances')
			.values({ id: this.deps.instanceId, started_at: now, heartbeat_at: now })
			.onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now }))
			.execute();
	}

	/** Writes what changed since the last write; true when anything did. */
	private async writeLocal(): Promise<boolean> {
		const local = new Set(this.deps.presence.localKeys());
		const added = [...local].filter((key) => !this.written.has(key));
		const removed = [...this.written].filter((key) => !local.has(key));
		const me = this.deps.instanceId;
		for (let i = 0; i < added.length; i += CHUNK) {
			await this.deps.db
				.insertInto('presence')
				.values(added.slice(i, i + CHUNK).map((key) => ({ instance_id: me, session_key: key })))
				.onConflict((oc) => oc.columns(['instance_id', 'session_key']).doNothing())
				.execute();
		}
		for (let i = 0; i < removed.length; i += CHUNK) {
			await this.deps.db
				.deleteFrom('presence')
				.where('instance_id', '=', me)
				.where('session_key', 'in', removed.slice(i, i + CHUNK))
				.execute();
		}
		this.written = local;
		return added.length > 0 || removed.length > 0;
	}

	private async reap(): Promise<void> {
		const dead = this.deps.clock.now() - this.deps.ttlMs;
		await this.deps.db.deleteFrom('instances').where('heartbeat_at', '<=', dead).execute();
		await this.deps.db
			.deleteFrom('presence')
			.where((eb) => eb('instance_id', 'not in', eb.selectFrom('instances').select('instances.id')))
			.execute();
	}

	private async readRemote(): Promise<void> {
		const alive = this.deps.clock.now() - this.deps.ttlMs;
		const rows = await this.deps.db
			.selectFrom('presence')
			.innerJoin('instances', 'instances.id', 'presence.instance_id')
			.select('presence.session_key')
			.where('presence.instance_id', '!=', this.deps.instanceId)
			.where('instances.heartbeat_at', '>', alive)
			.execute();
		this.deps.presence.setRemote(rows.map((r) => r.session_key));
	}
}

import { afterEach, expect, it } from 'vitest';
import { createTestDb, type DB } from '../core/db';
import { ManualClock } from '../core/clock';
import { InProcessBus } from '../core/bus';
import { Presence } from './presence';
import { PresenceSync } from './presence-sync';

const TTL = 30_000;
const started: PresenceSync[] = [];
afterEach(async () => {
	await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** One instance: its own Presence and sync, on a database and bus shared with the others. */
async function instance(db: DB, clock: ManualClock, bus: InProcessBus, instanceId: string) {
	const presence = new Presence();
	const sync = new PresenceSync({ db, clock, bus, presence, instanceId, ttlMs: TTL });
	await sync.start();
	started.push(sync);
	return { presence, sync };
}

async function world() {
	const db = await createTestDb();
	const clock = new ManualClock();
	const bus = new InProcessBus();
	return {
		db,
		clock,
		a: await instance(db, clock, bus, 'a'),
		b: await instance(db, clock, bus, 'b')
	};
}

it('counts distinct sessions summed over instances, a session on both counted once', async () => {
	const { a, b } = await world();
	a.presence.connected('s1');
	a.presence.connected('s2');
	b.presence.connected('s2');
	b.presence.connected('s3');
	expect(a.presence.count()).toBe(2); // before any write: only its own
	await a.sync.flush();
	await b.sync.flush();
	await a.sync.beat();
	await b.sync.beat();
	expect(a.presence.count()).toBe(3);
	expect(b.presence.count()).toBe(3);

	b.presence.disconnected('s3');
	await b.sync.flush(); // announces the change on the bus; a re-reads
	await a.sync.beat();
	expect(a.presence.count()).toBe(2);
});

it('an instance that stops beating expires after the TTL; one that comes back is counted again', async () => {
	const { db, clock, a, b } = await world();
	b.presence.connected('s9');
	await b.sync.flush();
	await a.sync.beat();
	expect(a.presence.count()).toBe(1);

	clock.advance(TTL - 1);
	await a.sync.beat();
	expect(a.presence.count()).toBe(1); // not yet

	clock.advance(1);
	await a.sync.beat(); // b's heartbeat is now TTL old: reaped
	expect(a.presence.count()).toBe(0);
	expect(
		await db.selectFrom('presence').selectAll().where('instance_id', '=', 'b').execute()
	).toEqual([]);

	await b.sync.beat(); // b was only stalled: it registers again with every session
	await a.sync.beat();
	expect(a.presence.count()).toBe(1);
});

it('a stopped instance removes its rows at once', async () => {
	const { db, a, b } = await world();
	b.presence.connected('s1');
	await b.sync.flush();
	await b.sync.stop();
	started.splice(started.indexOf(b.sync), 1);
	await a.sync.beat();
	expect(a.presence.count()).toBe(0);
	expect(await db.selectFrom('instances').select('id').execute()).toEqual([{ id: 'a' }]);
});

it('writes only the difference, in chunks, for thousands of sessions', async () => {
	const { db, a } = await world();
	for (let i = 0; i < 1200; i++) a.presence.connected(`s${i}`);
	await a.sync.flush();
	for (let i = 0; i < 600; i++) a.presence.disconnected(`s${i}`);
	await a.sync.flush();
	const rows = await db.selectFrom('presence').select('session_key').execute();
	expect(rows.length).toBe(600);
	expect(rows.some((r) => r.session_key === 's0')).toBe(false);
});

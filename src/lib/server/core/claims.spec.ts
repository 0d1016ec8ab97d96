import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock';
import { createTestDb } from './db';
import { releaseStaleClaims } from './claims';
import { claimHeads, enqueue } from './outbox';

const TTL = 30_000;

async function claimedBy(instances: string[]) {
	const db = await createTestDb();
	const clock = new ManualClock();
	for (const [i, instanceId] of instances.entries()) {
		await enqueue(db, clock, { kind: 'k', lane: `l${i}`, ref: String(i) });
		const [claimed] = await claimHeads(db, clock, 'k', { instanceId, leaseMs: 600_000 });
		expect(claimed).toBeDefined();
	}
	const holders = async () =>
		(await db.selectFrom('outbox').select('claimed_by').orderBy('id').execute()).map(
			(r) => r.claimed_by
		);
	return { db, clock, holders };
}

describe('releaseStaleClaims', () => {
	it('on SQLite (one process) gives back every claim a crash left', async () => {
		const { db, clock, holders } = await claimedBy(['old-run']);
		expect(await releaseStaleClaims(db, clock, { shared: false, presenceTtlMs: TTL })).toBe(1);
		expect(await holders()).toEqual([null]);
	});

	it('shared: gives back only claims of instances without a live heartbeat', async () => {
		const { db, clock, holders } = await claimedBy(['alive', 'dead', 'gone']);
		clock.advance(60_000);
		await db
			.insertInto('instances')
			.values([
				{ id: 'alive', started_at: 0, heartbeat_at: clock.now() - TTL },
				{ id: 'dead', started_at: 0, heartbeat_at: clock.now() - TTL - 1 }
			])
			.execute();
		expect(await releaseStaleClaims(db, clock, { shared: true, presenceTtlMs: TTL })).toBe(2);
		expect(await holders()).toEqual(['alive', null, null]);
	});
});

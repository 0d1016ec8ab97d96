import { afterEach, expect, it } from 'vitest';
import pg from 'pg';
import { testDatabase } from './config';
import { createPgDatabase, PG_TEMPLATE } from './db/test-db';
import { PgBus } from './pg-bus';
import type { BusTopics, Topic } from './bus';

// PostgreSQL only (SQUELCH_TEST_DB=postgres, npm run test:pg): *.pg.spec.ts are not collected otherwise.
const buses: PgBus[] = [];
afterEach(async () => {
	await Promise.all(buses.splice(0).map((b) => b.stop()));
});

async function databaseUrl(): Promise<string> {
	const target = testDatabase();
	if (target.kind !== 'postgres') throw new Error('run with SQUELCH_TEST_DB=postgres');
	return createPgDatabase(target.adminUrl, PG_TEMPLATE);
}

async function busOn(url: string, instanceId: string): Promise<PgBus> {
	const bus = new PgBus({ connectionString: url, instanceId, minBackoffMs: 20, maxBackoffMs: 200 });
	buses.push(bus);
	await bus.started();
	return bus;
}

/** Resolves with the payload of the next message on `topic` that `match` accepts. */
function next<T extends Topic>(
	bus: PgBus,
	topic: T,
	match: (p: BusTopics[T]) => boolean = () => true
): Promise<BusTopics[T]> {
	return new Promise((resolve) => {
		const off = bus.subscribe(topic, (p) => {
			if (!match(p)) return;
			off();
			resolve(p);
		});
	});
}

it('a message published on A reaches B, and A’s own subscribers exactly once', async () => {
	const url = await databaseUrl();
	const a = await busOn(url, 'a');
	const b = await busOn(url, 'b');
	const seenOnA: number[] = [];
	a.subscribe('call.ingested', ({ callId }) => seenOnA.push(callId));
	const onB = next(b, 'call.ingested');
	a.publish('call.ingested', { callId: 41 });
	expect(seenOnA).toEqual([41]); // in-process, at once
	expect(await onB).toEqual({ callId: 41 });
	// B answers after it got 41: NOTIFYs reach a listener in commit order, so A's echo of 41
	// (dropped) came in before this one.
	const answer = next(a, 'call.ingested', (p) => p.callId === 42);
	b.publish('call.ingested', { callId: 42 });
	await answer;
	expect(seenOnA).toEqual([41, 42]);
});

it('many messages in one burst arrive in order, none merged (NOTIFY folds identical payloads)', async () => {
	const url = await databaseUrl();
	const a = await busOn(url, 'a');
	const b = await busOn(url, 'b');
	const got: number[] = [];
	const done = new Promise<void>((resolve) =>
		b.subscribe('call.published', ({ count }) => {
			got.push(count);
			if (got.length === 1200) resolve();
		})
	);
	for (let i = 0; i < 1200; i++) a.publish('call.published', { count: i % 2 });
	await done;
	expect(got).toEqual(Array.from({ length: 1200 }, (_, i) => i % 2));
});

it('a message over the NOTIFY limit is delivered locally only, and later ones still go out', async () => {
	const url = await databaseUrl();
	const a = await busOn(url, 'a');
	const b = await busOn(url, 'b');
	const onB = next(b, 'access.changed');
	const local = next(a, 'access.changed');
	const huge = { userId: 1, padding: 'x'.repeat(9000) } as unknown as BusTopics['access.changed'];
	a.publish('access.changed', huge);
	expect(await local).toBe(huge);
	a.publish('access.changed', { userId: 2 });
	expect(await onB).toEqual({ userId: 2 });
});

it('reconnects after its connection is killed, wakes local readers, and delivers again', async () => {
	const url = await databaseUrl();
	const a = await busOn(url, 'a');
	const b = await busOn(url, 'b');
	const states: string[] = [];
	b.onState((s) => states.push(s));
	const back = new Promise<void>((resolve) => b.onState((s) => s === 'listening' && resolve()));
	const resync = next(b, 'call.published', (p) => p.count === 0 && p.delayed === true);

	const admin = new pg.Client({ connectionString: url });
	await admin.connect();
	await admin.query(
		`select pg_terminate_backend(pid) from pg_stat_activity
		 where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`
	);
	await admin.end();

	await back;
	await resync;
	expect(states[0]).toBe('reconnecting');
	expect(b.health()).toEqual({ kind: 'postgres', state: 'listening' });
	const onB = next(b, 'session.revoked');
	a.publish('session.revoked', { sessionId: 's1', userId: 1, reason: 'admin' });
	expect(await onB).toEqual({ sessionId: 's1', userId: 1, reason: 'admin' });
});

it('reports reconnecting while the database cannot be reached', async () => {
	const url = new URL(await databaseUrl());
	url.pathname = '/no_such_database';
	const bus = new PgBus({ connectionString: url.toString(), minBackoffMs: 20, maxBackoffMs: 50 });
	buses.push(bus);
	await bus.started();
	expect(bus.health()).toEqual({ kind: 'postgres', state: 'reconnecting' });
});

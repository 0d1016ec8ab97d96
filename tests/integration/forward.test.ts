import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, type Client } from '../helpers/client';
import { fixture, openServerDb, post, trunkRecorderForm, waitFor, WAV } from '../helpers/recorders';

/**
 * Forwarding between two real Squelch servers: A (the source) forwards every stored call to B
 * (the target) with B's upload key, in Trunk-Recorder's multipart shape.
 */

let a: TestServer;
let b: TestServer;
let adminA: Client;
let adminB: Client;
let keyA: string;
let keyB: string;
const T0 = 1718145678;

async function uploadToA(talkgroup: number, dateTime: number) {
	const form = trunkRecorderForm({
		key: keyA,
		audio: fixture(WAV),
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime,
		system: 1,
		systemLabel: 'County',
		talkgroup,
		talkgroupLabel: `TG ${talkgroup}`
	});
	const reply = await post(`${a.url}/api/call-upload`, form);
	expect(reply.status).toBe(200);
	expect(reply.body).toBe('Call imported successfully.');
}

const callsOnB = async () =>
	(await adminB.calls.search.query({ limit: 100 })).items.sort((x, y) => x.id - y.id);
const targetState = async (name: string) =>
	(await adminA.admin.forward.list.query()).find((t) => t.name === name)!;

function eventsOnA(type: string): Array<Record<string, unknown>> {
	const db = openServerDb(a.dataDir);
	try {
		return (
			db.prepare('select data from events where type = ? order by id').all(type) as Array<{
				data: string;
			}>
		).map((r) => JSON.parse(r.data));
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	b = await startServer();
	// Short waits between tries, so a target that comes back is reached within seconds.
	a = await startServer({ env: { SQUELCH_FORWARD_RETRY_MAX: '1' } });
	({ client: adminA } = await signInAdmin(a.url));
	({ client: adminB } = await signInAdmin(b.url));
	({ key: keyA } = await adminA.admin.apiKeys.create.mutate({ name: 'recorder' }));
	({ key: keyB } = await adminB.admin.apiKeys.create.mutate({ name: 'from A' }));
	await adminA.admin.forward.create.mutate({
		name: 'B',
		url: b.url,
		apiKey: keyB,
		talkgroupMap: { '20': 2020 }
	});
});

afterAll(async () => {
	await a?.stop();
	await b?.stop();
});

it('each call arrives once, in order per talkgroup, with talkgroup ids remapped', async () => {
	const sent = [
		[10, T0],
		[20, T0 + 5],
		[10, T0 + 10],
		[20, T0 + 15],
		[10, T0 + 20]
	];
	for (const [tg, at] of sent) await uploadToA(tg, at);
	const arrived = await waitFor(callsOnB, (c) => c.length >= 5, 30_000);
	expect(arrived).toHaveLength(5);
	for (const tg of [10, 2020]) {
		const times = arrived.filter((c) => c.talkgroup.id === tg).map((c) => c.dateTime.getTime());
		expect(times).toEqual([...times].sort((x, y) => x - y));
		expect(times).toHaveLength(tg === 10 ? 3 : 2);
	}
	expect(arrived.every((c) => c.duration > 0 && c.system.id === 1)).toBe(true);
	const state = await waitFor(
		() => targetState('B'),
		(t) => t.queued === 0 && t.lastSuccessAt !== null
	);
	expect(state).toMatchObject({ queued: 0, lastError: null });
	expect(state.lastSuccessAt).not.toBeNull();
	// Exactly one finished outbox row per call: nothing was sent twice.
	const db = openServerDb(a.dataDir);
	const rows = db.prepare("select ref, done_at from outbox where kind = 'forward'").all() as Array<{
		ref: string;
		done_at: number | null;
	}>;
	db.close();
	expect(rows).toHaveLength(5);
	expect(rows.every((r) => r.done_at !== null)).toBe(true);
});

it('with the target down calls queue (ingest unaffected), survive a restart of the source, and all arrive when it is back', async () => {
	await b.stop();
	await uploadToA(10, T0 + 100);
	await uploadToA(20, T0 + 105);
	const down = await waitFor(
		() => targetState('B'),
		(t) => t.queued === 2 && t.lastError !== null,
		30_000
	);
	expect(down.queued).toBe(2);
	expect(down.lastError).toMatch(/^fetch failed: ECONNREFUSED/);
	expect(eventsOnA('forward.failed').at(-1)).toMatchObject({ target: 'B' });

	await a.restart();
	expect((await targetState('B')).queued).toBe(2);
	await b.restart();
	const arrived = await waitFor(callsOnB, (c) => c.length >= 7, 60_000);
	expect(arrived).toHaveLength(7);
	expect(arrived.slice(5).map((c) => c.talkgroup.id)).toEqual([10, 2020]);
	const back = await waitFor(
		() => targetState('B'),
		(t) => t.lastError === null && t.queued === 0,
		30_000
	);
	expect(back.queued).toBe(0);
	expect(eventsOnA('forward.recovered').length).toBeGreaterThan(0);
});

it('a 401 from the target shows as a clear error', async () => {
	await adminA.admin.forward.create.mutate({ name: 'wrong key', url: b.url, apiKey: 'sq_wrong' });
	await uploadToA(10, T0 + 200);
	const state = await waitFor(
		() => targetState('wrong key'),
		(t) => t.lastError !== null,
		30_000
	);
	expect(state.lastError).toMatch(/^HTTP 401: Invalid API key/);
	expect(state.queued).toBe(1);
	expect(eventsOnA('forward.failed').some((e) => String(e.error).startsWith('HTTP 401'))).toBe(
		true
	);
	// The good target got that call all the same.
	expect(await waitFor(callsOnB, (c) => c.length >= 8, 30_000)).toHaveLength(8);
});

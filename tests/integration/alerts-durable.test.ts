import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { pushEnv, startAlertsServer } from '../helpers/alerts-server';
import { openServerDb } from '../helpers/server-db';
import type { createAndSignIn } from '../helpers/client';
import { until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';
import {
	browserKeys,
	decryptPush,
	startPushService,
	type PushService
} from '../helpers/push-service';

// Alerts that hold across restarts and instances: the emergency flag from a real Trunk-Recorder
// upload, cool-downs kept in the database, and two servers on one database deciding the same calls.

let server: TestServer;
let second: TestServer | undefined;
let push: PushService;
let mia: Awaited<ReturnType<typeof createAndSignIn>>;
let key: string;
let n = 0;
const audio = fixture(M4A);

beforeAll(async () => {
	push = await startPushService();
	({ server, key, mia } = await startAlertsServer(push));
}, 60_000);
afterAll(async () => {
	await second?.stop();
	await server?.stop();
	await push?.close();
});

function dbRows<T>(query: string, ...params: unknown[]): T[] {
	const db = openServerDb(server.dataDir);
	try {
		return db.prepare(query).all(...params) as T[];
	} finally {
		db.close();
	}
}

/** A Trunk-Recorder upload (its real multipart shape); returns the stored call's id. */
async function upload(
	to: TestServer,
	talkgroup: number,
	emergency?: string | number
): Promise<number> {
	const i = n++;
	const dateTime = 1_718_145_700 + i * 10;
	const reply = await post(
		`${to.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio,
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime,
			system: 11,
			systemLabel: 'County',
			talkgroup,
			sources: JSON.stringify([{ pos: 0, src: 4214 }]),
			emergency
		})
	);
	expect(reply.status, reply.body).toBe(200);
	const [row] = dbRows<{ id: number }>(
		'select calls.id from calls join talkgroups t on t.id = calls.talkgroup_id where t.talkgroup_ref = ? and calls.date_time = ?',
		talkgroup,
		dateTime * 1000
	);
	return row.id;
}

/** Waits until the decision (of any instance) has passed the call. */
const decided = (callId: number) =>
	until(
		() =>
			(dbRows<{ call_id: number }>('select call_id from alert_cursor')[0]?.call_id ?? 0) >= callId,
		`call ${callId} decided`
	);

// The payload's talkgroup is read here, not in SQL: the statement runs on SQLite and PostgreSQL.
const alertsOn = (talkgroup: number) =>
	dbRows<{ call_id: number; suppressed: number; data: string }>(
		'select call_id, suppressed, data from alerts order by id'
	)
		.filter((a) => (JSON.parse(a.data) as { talkgroup: { id: number } }).talkgroup.id === talkgroup)
		.map(({ call_id, suppressed }) => ({ call_id, suppressed }));

describe('the emergency flag', () => {
	it('is read from the upload, stored, shown, searchable, and fires emergency rules', async () => {
		await mia.client.alerts.rules.create.mutate({
			name: 'Any emergency',
			emergency: true,
			cooldownSeconds: 0
		});
		const flagged = await upload(server, 4100, 1);
		const plain = await upload(server, 4100, 0);
		const asText = await upload(server, 4100, 'true');
		const absent = await upload(server, 4100);
		await decided(absent);
		expect((await mia.client.calls.get.query({ id: flagged })).emergency).toBe(true);
		expect((await mia.client.calls.get.query({ id: plain })).emergency).toBe(false);
		expect((await mia.client.calls.get.query({ id: absent })).emergency).toBe(false);
		const found = await mia.client.calls.search.query({ talkgroups: [4100], emergency: true });
		expect(found.items.map((c) => c.id).sort()).toEqual([flagged, asText].sort());
		const others = await mia.client.calls.search.query({ talkgroups: [4100], emergency: false });
		expect(others.items.map((c) => c.id).sort()).toEqual([plain, absent].sort());
		expect(alertsOn(4100).map((a) => a.call_id)).toEqual([flagged, asText]);
	});
});

describe('cool-downs and caps live in the database', () => {
	it('a restart in the middle of a cool-down still holds the next call back', async () => {
		await mia.client.alerts.rules.create.mutate({
			name: 'Station 43',
			talkgroups: [4300],
			cooldownSeconds: 3600
		});
		const first = await upload(server, 4300);
		await decided(first);
		await server.restart();
		const held = await upload(server, 4300);
		await decided(held);
		expect(alertsOn(4300).map((a) => a.call_id)).toEqual([first]);
		expect(
			dbRows<{ suppressed: number }>(
				'select c.suppressed from alert_cooldowns c join alert_rules r on r.id = c.rule_id where r.name = ?',
				'Station 43'
			)
		).toEqual([{ suppressed: 1 }]);
	});

	it(
		'two instances on one database decide each call once, share the cool-down, and push once',
		{ timeout: 90_000 },
		async () => {
			await mia.client.alerts.rules.create.mutate({
				name: 'Station 44',
				talkgroups: [4400],
				cooldownSeconds: 3600
			});
			await mia.client.alerts.rules.create.mutate({
				name: 'Station 45',
				talkgroups: [4500],
				cooldownSeconds: 0
			});
			const ua = browserKeys();
			await mia.client.alerts.push.subscribe.mutate({
				endpoint: push.endpoint('shared'),
				keys: ua.keys
			});
			// A second instance on the same data dir, started after the rules (its index is fresh).
			second = await startServer({
				dataDir: server.dataDir,
				env: pushEnv(push)
			});
			// Each instance stores calls and wakes its own decision worker; both read every call.
			const a1 = await upload(server, 4400);
			const b1 = await upload(second, 4400);
			const a2 = await upload(server, 4500);
			const b2 = await upload(second, 4500);
			await decided(Math.max(a1, b1, a2, b2));
			const on4400 = alertsOn(4400);
			expect(on4400).toHaveLength(1);
			expect([a1, b1]).toContain(on4400[0].call_id);
			expect(alertsOn(4500).map((a) => a.call_id)).toEqual([a2, b2]);
			const pending = "select 1 from outbox where kind = 'push' and done_at is null";
			await until(() => dbRows(pending).length === 0, 'every push sent');
			const got = push.requests
				.filter((r) => r.name === 'shared')
				.map((r) => JSON.parse(decryptPush(r.body, ua)).callId);
			expect(got.sort()).toEqual([on4400[0].call_id, a2, b2].sort());
		}
	);
});

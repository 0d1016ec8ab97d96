import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server';
import { startAlertsServer } from '../helpers/alerts-server';
import { createAndSignIn, errorCode, signInAdmin, trpc, type Client } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A, openServerDb, post, trunkRecorderForm } from '../helpers/recorders';
import {
	browserKeys,
	decryptPush,
	startPushService,
	verifyVapid,
	type PushService
} from '../helpers/push-service';

// Alerts end to end: a rule on the real server, a real upload, and a push service of the test's
// own on loopback https (its own CA via NODE_EXTRA_CA_CERTS) that decrypts what arrives.

let server: TestServer;
let push: PushService;
let admin: Awaited<ReturnType<typeof signInAdmin>>;
let mia: Awaited<ReturnType<typeof createAndSignIn>>;
let key: string;
let n = 0;
const audio = fixture(M4A);

beforeAll(async () => {
	push = await startPushService();
	({ server, admin, key, mia } = await startAlertsServer(push));
	await mia.client.alerts.rules.create.mutate({
		name: 'Station 14',
		talkgroups: [4200],
		cooldownSeconds: 0
	});
}, 60_000);
afterAll(async () => {
	await server?.stop();
	await push?.close();
});

async function upload(talkgroup = 4200): Promise<number> {
	const i = n++;
	const reply = await post(
		`${server.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio,
			audioName: M4A,
			audioType: 'audio/mp4',
			dateTime: 1_718_145_700 + i * 10,
			system: 11,
			systemLabel: 'County',
			talkgroup,
			sources: JSON.stringify([{ pos: 0, src: 4214 }])
		})
	);
	expect(reply.status, reply.body).toBe(200);
	const [{ id }] = dbRows<{ id: number }>('select max(id) as id from calls');
	// Alerts are decided after the reply (at most SQUELCH_ALERT_BATCH_MS later under load): the
	// next step of a test starts once this call is decided, as it would on a quiet server.
	await until(
		() => (dbRows<{ call_id: number }>('select call_id from alert_cursor')[0]?.call_id ?? 0) >= id,
		`call ${id} decided`
	);
	return id;
}

function dbRows<T>(query: string, ...params: unknown[]): T[] {
	const db = openServerDb(server.dataDir);
	try {
		return db.prepare(query).all(...params) as T[];
	} finally {
		db.close();
	}
}

async function subscribe(client: Client, name: string) {
	const ua = browserKeys();
	await client.alerts.push.subscribe.mutate({ endpoint: push.endpoint(name), keys: ua.keys });
	return ua;
}

/** Pushes still to send (the generic outbox, kind `push`). */
const PENDING_PUSHES =
	"select 1 from outbox where kind = 'push' and done_at is null and gave_up_at is null";

const to = (name: string) => push.requests.filter((r) => r.name === name);

describe('alerts over Web Push', () => {
	it(
		'delivers an encrypted, VAPID-signed push with TTL and Urgency (201)',
		{ timeout: 60_000 },
		async () => {
			const { publicKey } = await mia.client.alerts.push.publicKey.query();
			expect(publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
			const ua = await subscribe(mia.client, 'phone');
			const callId = await upload();
			await until(() => to('phone').length >= 1, 'the push');
			const [req] = to('phone');
			expect(req.headers['content-encoding']).toBe('aes128gcm');
			expect(req.headers.ttl).toBe('3600');
			expect(req.headers.urgency).toBe('high');
			const vapid = verifyVapid(req.headers.authorization as string);
			expect(vapid.k).toBe(publicKey);
			expect(vapid.claims.aud).toBe(push.origin);
			expect(vapid.claims.sub).toEqual(expect.any(String));
			expect(vapid.claims.exp as number).toBeGreaterThan(Date.now() / 1000);
			const payload = JSON.parse(decryptPush(req.body, ua));
			expect(payload).toMatchObject({
				callId,
				rule: { name: 'Station 14' },
				system: { id: 11, label: 'County' },
				talkgroup: { id: 4200 },
				unit: { id: 4214 }
			});
			// A talkgroup no rule names raises nothing.
			await upload(9999);
			await mia.client.alerts.push.unsubscribe.mutate({ endpoint: push.endpoint('phone') });
		}
	);

	it('an endpoint answering 404 or 410 is removed', { timeout: 60_000 }, async () => {
		await subscribe(mia.client, 'gone404');
		await subscribe(mia.client, 'gone410');
		push.script('gone404', [{ status: 404 }]);
		push.script('gone410', [{ status: 410 }]);
		await upload();
		await until(
			() =>
				dbRows('select 1 from push_subscriptions where endpoint like ?', '%/push/gone%').length ===
				0,
			'both subscriptions removed'
		);
		await upload();
		const events = dbRows<{ data: string }>(
			"select data from events where type = 'alert.push_failed'"
		);
		expect(events.map((e) => JSON.parse(e.data))).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ status: 404, removed: true }),
				expect.objectContaining({ status: 410, removed: true })
			])
		);
		expect(to('gone404')).toHaveLength(1);
		expect(to('gone410')).toHaveLength(1);
		// The admin dashboard counts them per user.
		const { alerts } = await admin.client.admin.stats.dashboard.query();
		const row = alerts.find((a) => a.username === 'mia');
		expect(row?.alerts).toBeGreaterThanOrEqual(3);
		expect(row?.pushFailures).toBe(2);
	});

	it('429 with Retry-After is retried and then delivered once', { timeout: 60_000 }, async () => {
		const ua = await subscribe(mia.client, 'busy');
		push.script('busy', [{ status: 429, headers: { 'retry-after': '1' } }]);
		const callId = await upload();
		await until(() => to('busy').length >= 2, 'the retry');
		const bodies = to('busy').map((r) => JSON.parse(decryptPush(r.body, ua)));
		expect(bodies.map((b) => b.callId)).toEqual([callId, callId]);
		await until(() => dbRows(PENDING_PUSHES).length === 0, 'the outbox emptied');
		expect(to('busy')).toHaveLength(2);
		await mia.client.alerts.push.unsubscribe.mutate({ endpoint: push.endpoint('busy') });
	});

	it(
		'a restart between the decision and the send delivers it once',
		{ timeout: 90_000 },
		async () => {
			const ua = await subscribe(mia.client, 'restart');
			push.script('restart', ['drop']);
			const callId = await upload();
			await until(() => to('restart').length >= 1, 'the first attempt');
			await server.restart();
			// The outbox row survived; the restarted worker sends it when its backoff is due.
			await until(() => to('restart').length >= 2, 'the send after the restart', 30_000);
			await until(() => dbRows(PENDING_PUSHES).length === 0, 'the outbox emptied');
			const delivered = to('restart').slice(1);
			expect(delivered.map((r) => JSON.parse(decryptPush(r.body, ua)).callId)).toEqual([callId]);
			await mia.client.alerts.push.unsubscribe.mutate({ endpoint: push.endpoint('restart') });
		}
	);

	it(
		'a revoked device gets no more pushes; its subscription is deleted',
		{ timeout: 60_000 },
		async () => {
			const laptop = await trpc(server.url).auth.login.mutate({
				username: 'mia',
				password: mia.password
			});
			const laptopClient = trpc(server.url, { token: laptop.accessToken });
			const phoneUa = await subscribe(mia.client, 'phone2');
			await subscribe(laptopClient, 'laptop');
			await admin.client.admin.sessions.revoke.mutate({ id: laptop.session.id });
			await until(
				() =>
					dbRows('select 1 from push_subscriptions where endpoint like ?', '%/push/laptop')
						.length === 0,
				'the revoked device’s subscription deleted'
			);
			const callId = await upload();
			await until(() => to('phone2').length >= 1, 'the other device’s push');
			expect(JSON.parse(decryptPush(to('phone2')[0].body, phoneUa)).callId).toBe(callId);
			await until(() => dbRows(PENDING_PUSHES).length === 0, 'the outbox emptied');
			expect(to('laptop')).toHaveLength(0);
		}
	);

	it(
		'the webPush setting turns pushes off server-wide; in-page alerts still arrive on alerts.live',
		{ timeout: 60_000 },
		async () => {
			await admin.client.admin.settings.update.mutate({ webPush: false });
			const live = liveClient(`${server.url.replace('http', 'ws')}/api/ws`, {
				token: async () => mia.token
			});
			const got: Array<{ id: string; callId: number; rule: string }> = [];
			let started = false;
			live.client.alerts.live.subscribe(
				{},
				{
					onStarted: () => (started = true),
					onData: (e) => got.push({ id: e.id, callId: e.data.callId, rule: e.data.rule.name })
				}
			);
			await until(() => started, 'subscribed');
			const before = got.length;
			const sent = push.requests.length;
			const callId = await upload();
			await until(() => got.some((a) => a.callId === callId), 'the in-page alert');
			expect(got.slice(before).map((a) => a.rule)).toContain('Station 14');
			expect(dbRows(PENDING_PUSHES)).toHaveLength(0);
			expect(push.requests.length).toBe(sent);
			live.close();
			await admin.client.admin.settings.update.mutate({ webPush: true });
		}
	);

	it('refuses bad rules and push subscriptions, naming the field', async () => {
		expect(await errorCode(mia.client.alerts.rules.create.mutate({ name: 'Everything' }))).toBe(
			'BAD_REQUEST'
		);
		expect(
			await errorCode(
				mia.client.alerts.rules.create.mutate({ name: 'x', talkgroups: Array(101).fill(1) })
			)
		).toBe('BAD_REQUEST');
		const { keys } = browserKeys();
		expect(
			await errorCode(
				mia.client.alerts.push.subscribe.mutate({ endpoint: 'http://push.example/x', keys })
			)
		).toBe('BAD_REQUEST');
		expect(
			await errorCode(
				mia.client.alerts.push.subscribe.mutate({
					endpoint: push.endpoint('k'),
					keys: { ...keys, auth: 'AAAA' }
				})
			)
		).toBe('BAD_REQUEST');
		expect(await errorCode(trpc(server.url).alerts.rules.list.query())).toBe('UNAUTHORIZED');
	});
});

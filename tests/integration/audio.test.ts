import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import {
	cookieFetch,
	createAndSignIn,
	errorCode,
	signInAdmin,
	trpc,
	type Client
} from '../helpers/client';
import {
	fixture,
	openServerDb,
	post,
	setSetting,
	trunkRecorderForm,
	WAV
} from '../helpers/recorders';

let server: TestServer;
let admin: Client;
let adminToken: string;
let audio: Buffer;
/** A call on system 1 and one on system 2. */
let call1: { id: number; audioUrl: string };
let call2: { id: number; audioUrl: string };

async function upload(key: string, system: number, dateTime: number) {
	const form = trunkRecorderForm({
		key,
		audio,
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime,
		system,
		systemLabel: `sys ${system}`,
		talkgroup: 10
	});
	expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
	const { items } = await admin.calls.search.query({ systems: [system], limit: 1 });
	return items[0];
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({
	headers: { authorization: `Bearer ${token}`, ...extra }
});

beforeAll(async () => {
	server = await startServer();
	({ client: admin, token: adminToken } = await signInAdmin(server.url));
	audio = fixture(WAV);
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'audio tests' });
	call1 = await upload(key, 1, 1718145678);
	call2 = await upload(key, 2, 1718145680);
});

afterAll(async () => {
	await server?.stop();
});

describe('GET /api/calls/:id/audio', () => {
	it('serves the whole file with type, validators and private caching', async () => {
		const res = await fetch(server.url + call1.audioUrl, bearer(adminToken));
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('audio/wav');
		expect(res.headers.get('accept-ranges')).toBe('bytes');
		expect(res.headers.get('content-length')).toBe(String(audio.length));
		expect(res.headers.get('cache-control')).toMatch(/\bprivate\b/);
		expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
		expect(res.headers.get('last-modified')).toBeTruthy();
		expect(Buffer.from(await res.arrayBuffer()).equals(audio)).toBe(true);
		const head = await fetch(server.url + call1.audioUrl, {
			method: 'HEAD',
			...bearer(adminToken)
		});
		expect(head.status).toBe(200);
		expect(head.headers.get('content-length')).toBe(String(audio.length));
		expect((await head.arrayBuffer()).byteLength).toBe(0);
	});

	it('answers Range requests with exactly those bytes', async () => {
		const part = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { range: 'bytes=100-1123' })
		);
		expect(part.status).toBe(206);
		expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${audio.length}`);
		expect(Buffer.from(await part.arrayBuffer()).equals(audio.subarray(100, 1124))).toBe(true);

		const suffix = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { range: 'bytes=-500' })
		);
		expect(suffix.status).toBe(206);
		expect(Buffer.from(await suffix.arrayBuffer()).equals(audio.subarray(audio.length - 500))).toBe(
			true
		);

		const open = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { range: `bytes=${audio.length - 10}-` })
		);
		expect(Buffer.from(await open.arrayBuffer()).equals(audio.subarray(audio.length - 10))).toBe(
			true
		);

		const beyond = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { range: `bytes=${audio.length}-` })
		);
		expect(beyond.status).toBe(416);
		expect(beyond.headers.get('content-range')).toBe(`bytes */${audio.length}`);
	});

	it('answers conditional requests with 304', async () => {
		const first = await fetch(server.url + call1.audioUrl, bearer(adminToken));
		await first.arrayBuffer();
		const etag = first.headers.get('etag')!;
		const byTag = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { 'if-none-match': etag })
		);
		expect(byTag.status).toBe(304);
		const byDate = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { 'if-modified-since': first.headers.get('last-modified')! })
		);
		expect(byDate.status).toBe(304);
		const stale = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { 'if-none-match': '"something-else"' })
		);
		expect(stale.status).toBe(200);
		await stale.arrayBuffer();
		// If-Range with a stale tag: the whole file, not the range.
		const ifRange = await fetch(
			server.url + call1.audioUrl,
			bearer(adminToken, { range: 'bytes=0-9', 'if-range': '"old"' })
		);
		expect(ifRange.status).toBe(200);
		await ifRange.arrayBuffer();
	});

	it('reaches the audio with the access cookie set by auth.login, through a real cookie jar', async () => {
		await admin.admin.users.create.mutate({
			username: 'jar-user',
			password: 'jar-user-password',
			role: 'listener'
		});
		const jarFetch = cookieFetch();
		const client = trpc(server.url, { fetch: jarFetch });
		await client.auth.login.mutate({ username: 'jar-user', password: 'jar-user-password' });
		expect(await jarFetch.jar.getCookieString(server.url + call1.audioUrl)).toContain(
			'squelch_at='
		);
		const res = await jarFetch(server.url + call1.audioUrl, { headers: { range: 'bytes=0-15' } });
		expect(res.status).toBe(206);
		expect(Buffer.from(await res.arrayBuffer()).equals(audio.subarray(0, 16))).toBe(true);

		// The same user signs in elsewhere and revokes the jar's session: the cookie stops working.
		const other = await trpc(server.url).auth.login.mutate({
			username: 'jar-user',
			password: 'jar-user-password'
		});
		const otherClient = trpc(server.url, { token: other.accessToken });
		const jarSession = (await otherClient.sessions.list.query()).find((s) => !s.current)!;
		await otherClient.sessions.revoke.mutate({ id: jarSession.id });
		const after = await jarFetch(server.url + call1.audioUrl);
		expect(after.status).toBe(401);
	});

	it('refuses anonymous listeners unless public listening is on', async () => {
		expect((await fetch(server.url + call1.audioUrl)).status).toBe(401);
		expect((await fetch(server.url + call1.audioUrl, bearer('not-a-token'))).status).toBe(401);
		setSetting(server.dataDir, 'publicListening', true);
		try {
			const res = await fetch(server.url + call1.audioUrl);
			expect(res.status).toBe(200);
			expect(Buffer.from(await res.arrayBuffer()).equals(audio)).toBe(true);
			expect((await trpc(server.url).calls.get.query({ id: call1.id })).id).toBe(call1.id);
		} finally {
			setSetting(server.dataDir, 'publicListening', false);
		}
		expect(await errorCode(trpc(server.url).calls.get.query({ id: call1.id }))).toBe(
			'UNAUTHORIZED'
		);
	});

	it('answers 404 for a call the listener may not hear, exactly as for a missing one', async () => {
		const listener = await createAndSignIn(server.url, admin, 'limited');
		const db = openServerDb(server.dataDir);
		db.prepare('update users set access_all = 0 where id = ?').run(listener.id);
		const system1 = db.prepare('select id from systems where system_ref = 1').get() as {
			id: number;
		};
		db.prepare(
			'insert into user_access (user_id, system_id, talkgroup_id) values (?, ?, null)'
		).run(listener.id, system1.id);
		db.close();

		const allowed = await fetch(server.url + call1.audioUrl, bearer(listener.token));
		expect(allowed.status).toBe(200);
		await allowed.arrayBuffer();
		const forbidden = await fetch(server.url + call2.audioUrl, bearer(listener.token));
		const missing = await fetch(`${server.url}/api/calls/999999/audio`, bearer(listener.token));
		expect(forbidden.status).toBe(404);
		expect(missing.status).toBe(404);
		expect(await forbidden.text()).toBe(await missing.text());
		expect(
			(await fetch(`${server.url}/api/calls/..%2F..%2Fsquelch.db/audio`, bearer(adminToken))).status
		).toBe(404);

		expect(await errorCode(listener.client.calls.get.query({ id: call2.id }))).toBe('NOT_FOUND');
		expect(await errorCode(listener.client.calls.bookmark.mutate({ id: call2.id }))).toBe(
			'NOT_FOUND'
		);
		const { items } = await listener.client.calls.search.query({});
		expect(items.map((c) => c.id)).toEqual([call1.id]);
		expect((await listener.client.calls.systems.query()).map((s) => s.id)).toEqual([1]);
	});
});

describe('calls router', () => {
	it('pages with a cursor and toggles bookmarks', async () => {
		expect((await admin.calls.search.query()).items.map((c) => c.id)).toEqual([call2.id, call1.id]);
		const first = await admin.calls.search.query({ limit: 1 });
		expect(first.items.map((c) => c.id)).toEqual([call2.id]);
		const second = await admin.calls.search.query({ limit: 1, cursor: first.nextCursor });
		expect(second.items.map((c) => c.id)).toEqual([call1.id]);
		expect(second.nextCursor).toBeNull();
		expect(await errorCode(admin.calls.search.query({ cursor: 'garbage' }))).toBe('BAD_REQUEST');
		expect(await errorCode(admin.calls.search.query({ limit: 101 }))).toBe('BAD_REQUEST');

		expect(await admin.calls.bookmark.mutate({ id: call1.id })).toEqual({ bookmarked: true });
		expect((await admin.calls.search.query({ bookmarked: true })).items.map((c) => c.id)).toEqual([
			call1.id
		]);
		expect((await admin.calls.get.query({ id: call1.id })).bookmarked).toBe(true);
		expect(await admin.calls.bookmark.mutate({ id: call1.id })).toEqual({ bookmarked: false });
		expect((await admin.calls.search.query({ bookmarked: true })).items).toEqual([]);
		expect(await errorCode(trpc(server.url).calls.bookmark.mutate({ id: call1.id }))).toBe(
			'UNAUTHORIZED'
		);
	});
});

import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { refreshingDevice, signInAdmin, trpc, type Client } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// live.calls end to end: recorders upload to the production server (POST /api/call-upload), the
// server publishes, listeners follow over real WebSockets with the real @trpc/client.

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;

async function setUp(env: Record<string, string> = {}) {
	server = await startServer({ env });
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	await admin.client.admin.users.create.mutate({
		username: 'lena',
		password: 'lena-password-1',
		role: 'listener'
	});
	const auth = await trpc(server.url).auth.login.mutate({
		username: 'lena',
		password: 'lena-password-1',
		refreshTokenInBody: true
	});
	return { admin, key, listener: refreshingDevice(server.url, auth) };
}

const audio = fixture(M4A);
let sequence = 0;
/** One Trunk-Recorder upload; each on its own talkgroup time slot, so none is a duplicate. */
async function upload(s: TestServer, key: string) {
	const n = sequence++;
	const form = trunkRecorderForm({
		key,
		audio,
		audioName: M4A,
		audioType: 'audio/mp4',
		dateTime: 1_718_145_700 + n * 10,
		system: 11,
		systemLabel: 'County',
		talkgroup: 100 + (n % 4),
		talkgroupLabel: `Dispatch ${n % 4}`
	});
	return post(`${s.url}/api/call-upload`, form);
}

/** Every stored call id, oldest first (the archive, read by an admin). */
async function storedIds(admin: Client): Promise<number[]> {
	const ids: number[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: Array<{ id: number }>; nextCursor: string | null } =
			await admin.calls.search.query({ limit: 100, cursor });
		ids.push(...page.items.map((c) => c.id));
		cursor = page.nextCursor;
	} while (cursor);
	return ids.sort((a, b) => a - b);
}

function follow(client: ReturnType<typeof liveClient>['client']) {
	const state = { ids: [] as number[], started: false, errors: [] as string[] };
	const sub = client.live.calls.subscribe(
		{},
		{
			onStarted: () => (state.started = true),
			onData: (e) => state.ids.push(e.data.id),
			onError: (e) => state.errors.push(e.data?.code ?? e.message)
		}
	);
	cleanups.push(() => sub.unsubscribe());
	return state;
}

describe('live calls from real uploads', () => {
	it(
		'with SQUELCH_ACCESS_TTL=5 and an upload every 100 ms for 30 s, a listener gets every call once, in order',
		{ timeout: 120_000 },
		async () => {
			const { key, listener } = await setUp({ SQUELCH_ACCESS_TTL: '5' });
			const live = liveClient(wsUrl(server!), { token: () => listener.token(2_500) });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await until(() => seen.started, 'subscribed');

			let uploaded = 0;
			const end = Date.now() + 30_000;
			while (Date.now() < end) {
				const reply = await upload(server!, key);
				expect(reply.status, reply.body).toBe(200);
				uploaded++;
				await new Promise((r) => setTimeout(r, 100));
			}
			await until(
				() => seen.ids.length >= uploaded,
				`all ${uploaded} calls (got ${seen.ids.length})`,
				20_000
			);
			// The admin's five-second token is long gone: sign in again to read the archive.
			const stored = await storedIds((await signInAdmin(server!.url)).client);
			expect(stored).toHaveLength(uploaded);
			expect(seen.ids).toEqual(stored);
			expect(live.opens).toBeGreaterThanOrEqual(6);
			expect(live.closes.filter((c) => c.code === 4001)).toEqual([]);
			expect(seen.errors).toEqual([]);
		}
	);

	it(
		'a server restart mid-stream: the listener comes back and nothing is lost',
		{ timeout: 120_000 },
		async () => {
			const { admin, key, listener } = await setUp();
			const live = liveClient(wsUrl(server!), { token: () => listener.token(1_000) });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await until(() => seen.started, 'subscribed');

			for (let i = 0; i < 10; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(() => seen.ids.length === 10, 'calls before the restart');
			await server!.restart();
			// Uploaded at once, before the listener's socket is back: only the replay delivers these.
			for (let i = 0; i < 10; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(
				() => seen.ids.length === 20,
				`calls after the restart (got ${seen.ids.length})`,
				20_000
			);
			for (let i = 0; i < 5; i++) expect((await upload(server!, key)).status).toBe(200);
			await until(() => seen.ids.length === 25, 'live again');
			expect(seen.ids).toEqual(await storedIds(admin.client));
			expect(live.closes.map((c) => c.code)).toContain(1012);
		}
	);

	it('revoking one device closes its socket 4003 within a second; the other device keeps receiving uploads', async () => {
		const { key, listener } = await setUp();
		const other = refreshingDevice(
			server!.url,
			await trpc(server!.url).auth.login.mutate({
				username: 'lena',
				password: 'lena-password-1',
				refreshTokenInBody: true
			})
		);
		const phone = liveClient(wsUrl(server!), { token: () => listener.token() });
		const desktop = liveClient(wsUrl(server!), { token: () => other.token() });
		cleanups.push(
			() => phone.close(),
			() => desktop.close()
		);
		const onPhone = follow(phone.client);
		const onDesktop = follow(desktop.client);
		await until(() => onPhone.started && onDesktop.started, 'both subscribed');
		expect((await upload(server!, key)).status).toBe(200);
		await until(
			() => onPhone.ids.length === 1 && onDesktop.ids.length === 1,
			'both got the first call'
		);

		// The phone is signed out from the desktop.
		const phoneSession = (
			await trpc(server!.url, { token: listener.accessToken }).sessions.list.query()
		).find((s) => s.current)!.id;
		await trpc(server!.url, { token: other.accessToken }).sessions.revoke.mutate({
			id: phoneSession
		});
		await until(() => phone.closes.length > 0, 'phone socket closed', 1_000);
		expect(phone.closes[0]).toEqual({ code: 4003, reason: 'session revoked: logout' });

		for (let i = 0; i < 3; i++) expect((await upload(server!, key)).status).toBe(200);
		await until(() => onDesktop.ids.length === 4, 'desktop keeps receiving');
		await until(() => onPhone.errors.length > 0, 'phone refused');
		expect(onPhone.errors).toEqual(['UNAUTHORIZED']);
		expect(onPhone.ids).toHaveLength(1);
		expect(desktop.closes).toEqual([]);
	});
});

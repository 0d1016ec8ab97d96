import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, trpc } from '../helpers/client';
import { followCalls } from '../helpers/live-calls';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// Access re-evaluated on OPEN live.calls streams (issue 11, finding 3), through the production
// server: recorders upload over HTTP, listeners hold real sockets. The raw-socket listeners
// ignore tRPC's reconnect notice, as a hostile client would.

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];

const follow = (client: ReturnType<typeof liveClient>['client']) =>
	followCalls(client, (fn) => cleanups.push(fn));
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;
const audio = fixture(M4A);
let sequence = 0;

/** One Trunk-Recorder upload on radio system `system`; answers the stored call's id. */
async function upload(s: TestServer, key: string, system: number): Promise<void> {
	const n = sequence++;
	const form = trunkRecorderForm({
		key,
		audio,
		audioName: M4A,
		audioType: 'audio/mp4',
		dateTime: 1_718_145_700 + n * 10,
		system,
		systemLabel: `System ${system}`,
		talkgroup: 100,
		talkgroupLabel: 'Dispatch'
	});
	const reply = await post(`${s.url}/api/call-upload`, form);
	expect(reply.status, reply.body).toBe(200);
}

interface Frame {
	id: number | null;
	method?: string;
	result?: { type: string; id?: string; data?: { json: { id: string; data: { id: number } } } };
	/** superjson-encoded, as every payload on this router. */
	error?: { json: { message: string; data?: { code?: string } } };
}

/** A socket that speaks tRPC's wire protocol by hand, subscribes to live.calls, and never reconnects. */
async function rawListener(s: TestServer, token?: string) {
	const ws = new WebSocket(token ? `${wsUrl(s)}?connectionParams=1` : wsUrl(s));
	cleanups.push(() => ws.terminate());
	const frames: Frame[] = [];
	let closed: { code: number; reason: string } | null = null;
	ws.on('message', (m) => frames.push(JSON.parse(m.toString())));
	ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
	await new Promise((r) => ws.once('open', r));
	if (token) ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
	ws.send(
		JSON.stringify({
			id: 1,
			method: 'subscription',
			params: { path: 'live.calls', input: { json: {} } }
		})
	);
	await until(() => frames.some((f) => f.id === 1 && f.result?.type === 'started'), 'started');
	let nextId = 100;
	return {
		frames,
		get closed() {
			return closed;
		},
		/** Ids of the calls delivered so far. */
		calls: () =>
			frames.filter((f) => f.result?.type === 'data').map((f) => f.result!.data!.json.data.id),
		/**
		 * A round trip on this socket (a second subscribe, answered started or refused): every
		 * frame the server wrote before the answer has arrived by then.
		 */
		async sync() {
			const id = nextId++;
			ws.send(
				JSON.stringify({
					id,
					method: 'subscription',
					params: { path: 'live.calls', input: { json: {} } }
				})
			);
			await until(() => frames.some((f) => f.id === id), 'round trip');
		}
	};
}

async function setUp() {
	server = await startServer();
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	const witness = liveClient(wsUrl(server), { token: async () => admin.token });
	cleanups.push(() => witness.close());
	const seen = follow(witness.client);
	await until(() => seen.started, 'witness subscribed');
	return { admin, key, witness: seen };
}

describe('open live streams follow access changes', () => {
	it('public listening turned off: an anonymous socket that ignores the notice is told, and gets no further call', async () => {
		const { admin, key, witness } = await setUp();
		await admin.client.admin.settings.update.mutate({ publicListening: true });
		const anonymous = await rawListener(server!);
		await upload(server!, key, 11);
		await until(() => anonymous.calls().length === 1, 'anonymous hears the first call');

		await admin.client.admin.settings.update.mutate({ publicListening: false });
		await until(() => anonymous.frames.some((f) => f.id === 1 && f.error), 'told');
		const told = anonymous.frames.find((f) => f.id === 1 && f.error)!;
		expect(told.error!.json.data?.code).toBe('UNAUTHORIZED');
		expect(told.error!.json.message).toBe('public listening is off: sign in to listen');

		await upload(server!, key, 11);
		await until(() => witness.ids.length === 2, 'witness hears the second call');
		await anonymous.sync();
		expect(anonymous.calls()).toEqual([witness.ids[0]]);
	});

	it('a grant removed: that system’s calls stop at once, the others keep coming, nobody is signed out', async () => {
		const { admin, key, witness } = await setUp();
		await upload(server!, key, 11);
		await upload(server!, key, 12);
		const systems = await admin.client.admin.systems.list.query();
		const idOf = (ref: number) => systems.find((s) => s.systemRef === ref)!.id;
		const userId = (
			await admin.client.admin.users.create.mutate({
				username: 'lena',
				password: 'lena-password-1',
				role: 'listener',
				mustChangePassword: false,
				access: { systems: [idOf(11), idOf(12)], talkgroups: [] }
			})
		).id;
		const lena = await trpc(server!.url).auth.login.mutate({
			username: 'lena',
			password: 'lena-password-1'
		});
		const listener = await rawListener(server!, lena.accessToken);
		await upload(server!, key, 11);
		await upload(server!, key, 12);
		await until(() => listener.calls().length === 2, 'both systems heard');

		await admin.client.admin.users.setAccess.mutate({
			id: userId,
			accessAll: false,
			systems: [idOf(12)],
			talkgroups: []
		});
		await upload(server!, key, 11);
		await upload(server!, key, 12);
		await until(() => witness.ids.length === 6, 'witness hears all six');
		await until(() => listener.calls().length === 3, 'the kept system still heard');
		expect(listener.calls()).toEqual([witness.ids[2], witness.ids[3], witness.ids[5]]);
		expect(listener.closed).toBeNull();
		expect(listener.frames.some((f) => f.error)).toBe(false);
	});

	it('an account whose expiry passes is closed 4004 with its reason, the expiry re-armed when moved', async () => {
		const { admin } = await setUp();
		const { id: userId } = await admin.client.admin.users.create.mutate({
			username: 'temp',
			password: 'temp-password-1',
			role: 'listener',
			mustChangePassword: false,
			// Far beyond the token's life: nothing to arm yet.
			expiresAt: new Date(Date.now() + 24 * 3600_000)
		});
		const temp = await trpc(server!.url).auth.login.mutate({
			username: 'temp',
			password: 'temp-password-1',
			refreshTokenInBody: true
		});
		const listener = await rawListener(server!, temp.accessToken);
		const follower = liveClient(wsUrl(server!), { token: async () => temp.accessToken });
		cleanups.push(() => follower.close());
		const followed = follow(follower.client);
		await until(() => followed.started, 'follower subscribed');

		await admin.client.admin.users.update.mutate({
			id: userId,
			expiresAt: new Date(Date.now() + 1_500)
		});
		await until(() => listener.closed !== null, 'raw socket closed at expiry');
		expect(listener.closed).toEqual({ code: 4004, reason: 'account expired' });
		await until(() => follower.closes.length > 0, 'client socket closed');
		expect(follower.closes[0]).toEqual({ code: 4004, reason: 'account expired' });
		// Its token is no good any more: the client's resubscribe is refused, and so is a refresh.
		await until(() => followed.errors.length > 0, 'resubscribe refused');
		expect(followed.errors).toEqual(['UNAUTHORIZED']);
		await expect(
			trpc(server!.url).auth.refresh.mutate({ refreshToken: temp.refreshToken })
		).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
	});
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { createAndSignIn, errorCode, signInAdmin, trpc } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// The scanner's talkgroup selection over the real server: stored per user, read back from any
// device, and applied by live.calls — an open stream picks a change up without a new subscribe.

let server: TestServer;
const audio = fixture(M4A);
let n = 0;

beforeAll(async () => {
	server = await startServer();
});
afterAll(async () => {
	await server?.stop();
});

async function upload(key: string, talkgroup: number) {
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
			talkgroup
		})
	);
	expect(reply.status, reply.body).toBe(200);
}

it(
	'a selection set on one device is read on another and filters the live stream at once',
	{ timeout: 60_000 },
	async () => {
		const admin = await signInAdmin(server.url);
		const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
		const phone = await createAndSignIn(server.url, admin.client, 'mia');
		// A second device of the same user.
		const laptop = await trpc(server.url).auth.login.mutate({
			username: 'mia',
			password: phone.password
		});
		const laptopClient = trpc(server.url, { token: laptop.accessToken });

		expect(await phone.client.scanner.selection.get.query()).toEqual({ muted: [] });
		await phone.client.scanner.selection.set.mutate({ muted: [{ system: 11, talkgroup: 200 }] });
		expect(await laptopClient.scanner.selection.get.query()).toEqual({
			muted: [{ system: 11, talkgroup: 200 }]
		});

		const live = liveClient(`${server.url.replace('http', 'ws')}/api/ws`, {
			token: async () => phone.token
		});
		const got: Array<{ id: number; tg: number }> = [];
		let lastId: string | null = null;
		let started = false;
		live.client.live.calls.subscribe(
			{},
			{
				onStarted: () => (started = true),
				onData: (e) => {
					lastId = e.id;
					got.push({ id: e.data.id, tg: e.data.talkgroup.id });
				}
			}
		);
		await until(() => started, 'subscribed');
		await upload(key, 200);
		await upload(key, 100);
		await until(() => got.length >= 1, 'the heard call');
		expect(got.map((c) => c.tg)).toEqual([100]);

		// Turning 200 back on and 100 off reaches the open stream (the socket resubscribes from lastId).
		const opensBefore = live.opens;
		await phone.client.scanner.selection.set.mutate({ muted: [{ system: 11, talkgroup: 100 }] });
		await until(() => live.opens > opensBefore, 'the socket reconnected for the new selection');
		await upload(key, 100);
		await upload(key, 200);
		await until(() => got.length >= 2, 'the newly selected call');
		await new Promise((r) => setTimeout(r, 300));
		expect(got.map((c) => c.tg)).toEqual([100, 200]);
		expect(lastId).toBe(String(got[1].id));
		live.close();
	}
);

it('refuses bad input with the field named, and anonymous callers', async () => {
	const admin = await signInAdmin(server.url);
	expect(
		await errorCode(
			admin.client.scanner.selection.set.mutate({ muted: [{ system: -1, talkgroup: 1 }] })
		)
	).toBe('BAD_REQUEST');
	const message = await admin.client.scanner.selection.set
		.mutate({ muted: [{ system: 1, talkgroup: 0 }] })
		.catch((e: Error) => e.message);
	expect(message).toMatch(/muted/);
	expect(await errorCode(trpc(server.url).scanner.selection.get.query())).toBe('UNAUTHORIZED');
});

import { afterEach, describe, expect, it } from 'vitest';
import { liveClient, signIn, startLiveServer, until, type LiveServer } from '../../../../tests/helpers/live-server';

let server: LiveServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

describe('live.calls over the WebSocket', () => {
	it('delivers new calls, tracked by id', async () => {
		server = await startLiveServer();
		const device = await signIn(server, 'alice');
		const { client, close } = liveClient(server.wsUrl, { token: () => device.token() });
		const got: Array<{ id: string; callId: number }> = [];
		let started = false;
		const sub = client.live.calls.subscribe(
			{},
			{ onStarted: () => (started = true), onData: (e) => got.push({ id: e.id, callId: e.data.id }), onError: (err) => console.error(err) }
		);
		await until(() => started, 'subscription started');
		const a = await server.publishCall();
		const b = await server.publishCall();
		await until(() => got.length === 2, 'two calls');
		expect(got).toEqual([
			{ id: String(a), callId: a },
			{ id: String(b), callId: b }
		]);
		sub.unsubscribe();
		await close();
	});
});

import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { signedInViewer, type TestServices } from '../../testing';

import { updateSettings } from '../../core/settings';
import { TrpcSocket } from '../../realtime/trpc-socket';
import type { DirectStart } from '../../realtime/direct-subscription';
import { DIRECT_SUBSCRIPTIONS, wsCodec } from '../../realtime/ws-codec';
import { createWsContext } from '../context';
import { appRouter } from '../root';
import { startLiveCalls } from './live';

/*
 * live.calls started by the socket server itself (startLiveCalls) must answer exactly as the
 * procedure run through tRPC's chain: the same conversation, with and without the direct start,
 * gets the same frames byte for byte.
 */

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
	for (const c of clients.splice(0)) c.terminate();
	await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(svc: TestServices, starts: Map<string, DirectStart>): Promise<string> {
	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	servers.push(wss);
	wss.on('connection', (ws) => {
		const trpc = new TrpcSocket(
			ws,
			{
				router: appRouter,
				encoder: wsCodec,
				maxBatchSize: 5,
				direct: DIRECT_SUBSCRIPTIONS,
				directStarts: starts,
				onError: () => {}
			},
			async (params) => ({
				ctx: await createWsContext(svc, { ip: '127.0.0.1', userAgent: 't' }, params, {
					connectionId: 'c1',
					socket: ws
				})
			}),
			true,
			0
		);
		ws.on('message', (data, isBinary) => trpc.message(data, isBinary, 0));
		ws.on('close', () => trpc.closed());
	});
	await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
	return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

const sub = (id: number | string, input?: unknown, extra = {}) => ({
	id,
	method: 'subscription',
	params: { path: 'live.calls', input: superjson.serialize(input), ...extra }
});

/** [frame, answers it gets]; a socket per token (`listens`: its streams start). */
function script(token: string | null, listens: boolean): Array<[unknown, number]> {
	return [
		[{ method: 'connectionParams', data: token ? { token } : {} }, 0],
		[sub(1, {}), 1],
		[sub(2, { lastEventId: 'abc' }), 1],
		[sub(3, { lastEventId: '5' }), 1],
		[sub(4, {}, { lastEventId: '7:2' }), 1],
		[sub(1, {}), 1],
		[{ id: 1, method: 'subscription.stop' }, listens ? 1 : 0],
		[{ ...sub('x', {}), jsonrpc: '2.0' }, 1],
		[{ ...sub(5), params: { path: 'live.calls', input: { json: 'not an object' } } }, 1],
		[{ ...sub(6), params: { path: 'live.calls', input: { json: {}, meta: 7 } } }, 1],
		// superjson's encoding of `undefined`: read as no input (ws-codec.ts).
		[sub(9), 1],
		[[sub(7, {}), sub(8, { lastEventId: 12 })], 2]
	];
}

/** Takes listening away from a socket's viewer, then gives it back. */
interface Ending {
	take(): Promise<void>;
	giveBack(): Promise<void>;
}

/** The signed-in user's account expires, then is unlimited again. */
const accountExpires = (svc: TestServices, userId: number): Ending => {
	// Announced both ways, as every change of access is (views holding the old answer drop it).
	const expiresAt = async (at: number | null) => {
		await svc.db.updateTable('users').set({ expires_at: at }).where('id', '=', userId).execute();
		svc.bus.publish('access.changed', { userId });
	};
	return { take: () => expiresAt(svc.clock.now()), giveBack: () => expiresAt(null) };
};

/** Public listening is turned off (it announces access.changed), then on again. */
const publicListeningOff = (svc: TestServices): Ending => ({
	take: async () => void (await updateSettings(svc, { publicListening: false })),
	giveBack: async () => void (await updateSettings(svc, { publicListening: true }))
});

/**
 * The frames a conversation got: the answers of each exchange (sorted, since answers to
 * different requests may arrive in any order), byte for byte, and every frame by request id in
 * arrival order (refusals without their stack).
 *
 * No wait after an exchange can prove that no extra answer is still coming: the protocol orders
 * the answers of one request only, and many are asynchronous (a subscription through the
 * procedure chain answers when its reads settle; a started stream opens after `started` and, if
 * opening fails, then sends an error and `stopped`). The end marker is the protocol's last frame
 * of a request, `stopped`, after which the server has forgotten the id, reached in a way that
 * waits for every stream to have opened: listening is taken away (`ending`), and a live.calls
 * stream re-reads access on that change once it is open (calls-stream.ts: a change seen while
 * opening is re-read when ready), then ends with an error and `stopped`; one that failed to open
 * has already ended with its own error. Once every subscription still running has answered
 * `stopped`, every answer the script's requests will ever get has arrived, in `byId`, where an
 * extra or different one shows.
 */
async function converse(
	url: string,
	token: string | null,
	listens: boolean,
	ending: Ending
): Promise<{ exchanges: string[][]; byId: Array<[string, string[]]> }> {
	const ws = new WebSocket(`${url}?connectionParams=1`);
	clients.push(ws);
	const got: string[] = [];
	const byId = new Map<string, string[]>();
	let waiter: (() => void) | null = null;
	ws.on('message', (data) => {
		const text = data.toString();
		got.push(text);
		const frame = JSON.parse(text) as { id?: unknown; error?: { json?: { data?: object } } };
		// A refusal's stack says where it was raised: a stream refused as it opens or ended by a
		// re-read gives the same answer from two places, whichever the timing picks.
		if (frame.error?.json?.data) delete (frame.error.json.data as { stack?: string }).stack;
		const id = String(frame.id);
		byId.set(id, [...(byId.get(id) ?? []), JSON.stringify(frame)]);
		waiter?.();
	});
	const until = async (done: () => boolean) => {
		while (!done()) await new Promise<void>((r) => (waiter = r));
	};
	await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
	const exchanges: string[][] = [];
	for (const [frame, count] of script(token, listens)) {
		const from = got.length;
		ws.send(JSON.stringify(frame));
		await until(() => got.length >= from + count);
		exchanges.push(got.slice(from, from + count).sort());
	}
	const last = (id: string) => byId.get(id)!.at(-1)!;
	const running = [...byId.keys()].filter((id) => /"type":"(started|data)"/.test(last(id)));
	if (running.length) {
		await ending.take();
		await until(() => running.every((id) => last(id).includes('"type":"stopped"')));
		await ending.giveBack();
	}
	return { exchanges, byId: [...byId].sort(([a], [b]) => a.localeCompare(b)) };
}

async function setup() {
	return signedInViewer({ role: 'admin', accessTtlSec: 600 });
}

describe('live.calls started by the socket server', () => {
	it(
		'answers every request as the procedure does, signed in, anonymous, and with a bad token',
		{
			timeout: 30_000
		},
		async () => {
			const { svc, token, userId } = await setup();
			const expires = accountExpires(svc, userId);
			const publicOff = publicListeningOff(svc);
			let direct = 0;
			const counted = new Map<string, DirectStart>([
				[
					'live.calls',
					(ctx, input) => {
						const stream = startLiveCalls(ctx, input);
						if (stream) direct++;
						return stream;
					}
				]
			]);
			const [generic, lean] = [await listen(svc, new Map()), await listen(svc, counted)];
			for (const [who, t, publicListening] of [
				['signed in', token, false],
				['anonymous, public listening off', null, false],
				['a bad token, public listening on', 'not-a-token', true]
			] as const) {
				await updateSettings(svc, { publicListening });
				const listens = t === token || publicListening;
				const ending = t === token ? expires : publicOff;
				const expected = await converse(generic, t, listens, ending);
				const before = direct;
				expect([who, await converse(lean, t, listens, ending)]).toEqual([who, expected]);
				// The lean start ran for the signed-in socket only (anonymous ones take the procedure).
				if (t === token) expect(direct - before).toBe(7);
				else expect(direct).toBe(before);
			}
			const signedIn = (await converse(generic, token, true, expires)).exchanges.flat().join('\n');
			for (const s of [
				'"type":"started"',
				'"type":"stopped"',
				'"jsonrpc":"2.0"',
				'BAD_REQUEST',
				'Duplicate id 1',
				'lastEventId: must be the id of an event this subscription sent'
			])
				expect(signedIn).toContain(s);
			await updateSettings(svc, { publicListening: false });
			expect(
				(await converse(generic, null, false, publicOff)).exchanges.flat().join('\n')
			).toContain('UNAUTHORIZED');
		}
	);
});

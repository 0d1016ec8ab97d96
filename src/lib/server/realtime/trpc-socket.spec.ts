import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { initTRPC, TRPCError, tracked } from '@trpc/server';
import { applyWSSHandler, jsonEncoder } from '@trpc/server/adapters/ws';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { TrpcSocket, type TrpcSocketOptions } from './trpc-socket';
import { directSubscription } from './direct-subscription';
import type { SubscriptionSlots } from './socket-limits';

/*
 * Protocol conformance: the same frames, sent to tRPC's own adapter (applyWSSHandler) and to
 * Squelch's (TrpcSocket), must get the same answers, byte for byte, for one router.
 */

type Ctx = { user: string | null };
const t = initTRPC.context<Ctx>().create({ transformer: superjson, isDev: false });
const never = (signal?: AbortSignal) =>
	new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()));
const router = t.router({
	greet: t.procedure
		.input(z.object({ name: z.string().min(1) }))
		.query(({ input, ctx }) => ({ hello: input.name, by: ctx.user, at: new Date(0) })),
	add: t.procedure.input(z.number()).mutation(({ input }) => input + 1),
	forbidden: t.procedure.query(() => {
		throw new TRPCError({ code: 'FORBIDDEN', message: 'admins only' });
	}),
	crash: t.procedure.query(() => {
		throw new Error('a bug');
	}),
	ticks: t.procedure
		.input(z.object({ lastEventId: z.string().nullish() }).optional())
		.subscription(async function* ({ input }) {
			const from = Number(input?.lastEventId ?? 0);
			for (let i = from + 1; i <= from + 3; i++) yield tracked(String(i), { n: i });
		}),
	forever: t.procedure.subscription(async function* ({ signal }) {
		yield 'first';
		await never(signal);
	}),
	breaks: t.procedure.subscription(async function* () {
		yield 1;
		throw new TRPCError({ code: 'UNAUTHORIZED', message: 'signed out meanwhile' });
	})
});

const servers: WebSocketServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
	for (const c of clients.splice(0)) c.terminate();
	await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(wss: WebSocketServer): Promise<string> {
	servers.push(wss);
	await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
	return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

const createContext = (params: Record<string, string> | null): Ctx => ({
	user: params?.token ?? null
});

/** tRPC's own adapter. */
async function theirs(): Promise<string> {
	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	applyWSSHandler({
		wss,
		router,
		maxBatchSize: 3,
		createContext: ({ info }) => createContext(info.connectionParams as Record<string, string>)
	});
	return listen(wss);
}

/** Squelch's, wired the way realtime/ws.ts wires it. */
async function ours(
	opts: Partial<TrpcSocketOptions> = {},
	slots?: SubscriptionSlots
): Promise<string> {
	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	const protocol: TrpcSocketOptions = {
		router,
		encoder: jsonEncoder,
		maxBatchSize: 3,
		direct: new Set(),
		onError: () => {},
		...opts
	};
	wss.on('connection', (ws, req) => {
		const wantsParams = new URL(req.url!, 'http://x').searchParams.get('connectionParams') === '1';
		const trpc = new TrpcSocket(
			ws,
			protocol,
			async (params) => ({ ctx: createContext(params), slots }),
			wantsParams,
			performance.now()
		);
		ws.on('message', (data, isBinary) => trpc.message(data, isBinary, performance.now()));
		ws.on('close', () => trpc.closed());
	});
	return listen(wss);
}

/** A raw client: send frames, collect every answer as text. */
async function open(url: string, withParams = true) {
	const ws = new WebSocket(withParams ? `${url}?connectionParams=1` : url);
	clients.push(ws);
	const got: string[] = [];
	let waiter: (() => void) | null = null;
	ws.on('message', (data) => {
		got.push(data.toString());
		waiter?.();
	});
	const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
	await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
	/** Sends a frame and waits until `count` more answers have come (in any order). */
	const exchange = async (frame: unknown, count: number): Promise<string[]> => {
		const from = got.length;
		ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
		while (got.length < from + count) await new Promise<void>((r) => (waiter = r));
		// Anything more than expected would show as a mismatch in the next exchange.
		await new Promise((r) => setTimeout(r, 20));
		return got.slice(from, from + count);
	};
	return { ws, got, exchange, closed };
}

const q = (id: number | string | null, path: string, input?: unknown, extra = {}) => ({
	id,
	method: 'query',
	// As wsLink sends it: always through the transformer.
	params: { path, input: superjson.serialize(input), ...extra }
});
const sub = (id: number, path: string, input?: unknown, extra = {}) => ({
	...q(id, path, input, extra),
	method: 'subscription'
});

/** The conversation both adapters are put through: [frame, answers it gets]. */
const SCRIPT: Array<[unknown, number]> = [
	[{ method: 'connectionParams', data: { token: 'alice' } }, 0],
	['PING', 1],
	[q(1, 'greet', { name: 'a' }), 1],
	[q('two', 'greet', { name: '' }), 1],
	[q(3, 'no.such.procedure'), 1],
	[{ id: 4, jsonrpc: '2.0', method: 'mutation', params: { path: 'add', input: { json: 41 } } }, 1],
	[q(5, 'forbidden'), 1],
	[q(6, 'crash'), 1],
	['this is not json', 1],
	[{ id: 7, method: 'nonsense', params: {} }, 1],
	[q(null, 'greet', { name: 'a' }), 1],
	[sub(8, 'ticks'), 5],
	[sub(9, 'ticks', undefined, { lastEventId: '7' }), 5],
	[sub(10, 'breaks'), 4],
	[sub(11, 'forever'), 2],
	[sub(11, 'forever'), 1],
	[{ id: 11, method: 'subscription.stop' }, 1],
	[{ id: 12, method: 'subscription.stop' }, 0],
	[[q(13, 'greet', { name: 'b' }), q(14, 'forbidden')], 2],
	[
		[
			q(15, 'greet', { name: 'b' }),
			q(16, 'greet'),
			q(17, 'add'),
			{ id: 18, method: 'subscription.stop' }
		],
		3
	],
	[[1, 2, 3, 4], 1],
	[{ ...q(19, 'add', 'not a number'), method: 'mutation' }, 1]
];

async function converse(url: string): Promise<string[][]> {
	const client = await open(url);
	const answers: string[][] = [];
	// A batch's answers come as each call settles; a single request's in protocol order.
	for (const [frame, count] of SCRIPT) {
		const got = await client.exchange(frame, count);
		answers.push(Array.isArray(frame) ? got.sort() : got);
	}
	return answers;
}

describe('TrpcSocket speaks tRPC’s WebSocket protocol', () => {
	it(
		'answers a whole conversation exactly as tRPC’s own adapter does',
		{ timeout: 20_000 },
		async () => {
			const [expected, actual] = [await converse(await theirs()), await converse(await ours())];
			expect(actual).toEqual(expected);
			// The script did exercise what it claims to.
			const all = actual.flat().join('\n');
			for (const s of [
				'"type":"started"',
				'"type":"stopped"',
				'NOT_FOUND',
				'PARSE_ERROR',
				'BAD_REQUEST',
				'Duplicate id 11',
				'Batch call exceeds maximum size',
				'"jsonrpc":"2.0"',
				'"id":"8"',
				'PONG',
				'"by":"alice"'
			])
				expect(all).toContain(s);
		}
	);

	it('builds the context without connectionParams when the URL asks for none', async () => {
		for (const url of [await theirs(), await ours()]) {
			const client = await open(url, false);
			const [answer] = await client.exchange(q(1, 'greet', { name: 'x' }), 1);
			expect(answer).toContain('"by":null');
		}
	});

	it('answers malformed connectionParams with an error and closes, as tRPC does', async () => {
		const answers: string[] = [];
		for (const url of [await theirs(), await ours()]) {
			const client = await open(url);
			const [answer] = await client.exchange({ method: 'connectionParams', data: { n: 1 } }, 1);
			answers.push(answer);
			expect(await client.closed).toBe(1005);
		}
		expect(answers[1]).toEqual(answers[0]);
		expect(answers[0]).toContain('PARSE_ERROR');
	});

	it('works with the real wsLink: queries, mutations and a resumed subscription', async () => {
		const wsClient = createWSClient({
			url: await ours(),
			WebSocket: WebSocket as never,
			connectionParams: async () => ({ token: 'bob' })
		});
		const trpc = createTRPCClient<typeof router>({
			links: [wsLink({ client: wsClient, transformer: superjson })]
		});
		try {
			expect(await trpc.greet.query({ name: 'z' })).toEqual({
				hello: 'z',
				by: 'bob',
				at: new Date(0)
			});
			expect(await trpc.add.mutate(1)).toBe(2);
			await expect(trpc.forbidden.query()).rejects.toThrow('admins only');
			const events: number[] = [];
			await new Promise<void>((resolve, reject) =>
				trpc.ticks.subscribe(
					{ lastEventId: '20' },
					{ onData: (e) => events.push(e.data.n), onComplete: resolve, onError: reject }
				)
			);
			expect(events).toEqual([21, 22, 23]);
		} finally {
			wsClient.close();
		}
	});
});

describe('TrpcSocket’s own parts', () => {
	it('runs a direct subscription without iterating it: started, its frames, stopped on stop', async () => {
		const opened: string[] = [];
		const directRouter = t.router({
			direct: t.procedure.subscription(({ ctx }) =>
				directSubscription<string>(async () => {
					opened.push(`open ${ctx.user}`);
					return { close: () => opened.push('close') };
				}, undefined)
			),
			fails: t.procedure.subscription(() =>
				directSubscription<string>(async (fail) => {
					setImmediate(() => fail(new TRPCError({ code: 'UNAUTHORIZED', message: 'gone' })));
					return { close: () => opened.push('closed after failing') };
				}, undefined)
			)
		});
		const url = await ours({
			router: directRouter as never,
			direct: new Set(['direct', 'fails'])
		});
		const client = await open(url);
		await client.exchange({ method: 'connectionParams', data: { token: 'carol' } }, 0);
		expect(await client.exchange(sub(1, 'direct'), 1)).toEqual([
			'{"id":1,"result":{"type":"started"}}'
		]);
		expect(await client.exchange({ id: 1, method: 'subscription.stop' }, 1)).toEqual([
			'{"id":1,"result":{"type":"stopped"}}'
		]);
		expect(opened).toEqual(['open carol', 'close']);
		const failed = await client.exchange(sub(2, 'fails'), 3);
		expect(failed[0]).toBe('{"id":2,"result":{"type":"started"}}');
		expect(failed[1]).toContain('"code":"UNAUTHORIZED"');
		expect(failed[2]).toBe('{"id":2,"result":{"type":"stopped"}}');
		expect(opened).toContain('closed after failing');
	});

	it('holds a socket to its subscription slots, freeing one when a subscription ends', async () => {
		let held = 0;
		const slots: SubscriptionSlots = {
			max: 1,
			take: () => (held < 1 ? (held++, true) : false),
			release: () => void held--
		};
		const client = await open(await ours({}, slots));
		await client.exchange({ method: 'connectionParams', data: {} }, 0);
		expect(await client.exchange(sub(1, 'forever'), 2)).toContain(
			'{"id":1,"result":{"type":"started"}}'
		);
		const [refused] = await client.exchange(sub(2, 'forever'), 1);
		expect(refused).toContain('TOO_MANY_REQUESTS');
		await client.exchange({ id: 1, method: 'subscription.stop' }, 1);
		expect(held).toBe(0);
		// A finished subscription frees its slot too.
		expect(await client.exchange(sub(3, 'ticks'), 5)).toContain(
			'{"id":3,"result":{"type":"stopped"}}'
		);
		expect(held).toBe(0);
		client.ws.close();
		await client.closed;
	});
});

import { describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import { WebSocket, WebSocketServer } from 'ws';
import { initTRPC, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { Call } from '../../src/lib/server/calls/dto';
import { LiveCall } from '../../src/lib/server/live/live-call';

const call: Call = {
	id: 42,
	dateTime: new Date('2026-11-28T12:00:00.123Z'),
	system: { id: 1, label: 'County "P25"' },
	talkgroup: { id: 100, label: 'Fire\nDispatch', name: 'Fire', group: 'Fire', tag: 'Dispatch' },
	frequency: 851_012_500,
	duration: 3.5,
	audioUrl: '/api/calls/42/audio',
	audioType: 'audio/wav',
	source: { id: 7, alias: 'Engine 7' },
	frequencies: [],
	sources: [{ pos: 0, src: 7, tag: 'Engine 7' }],
	patches: [200, 201],
	emergency: true,
	transcript: {
		text: 'Engine 7 on scene',
		segments: [{ start: 0, end: 1.5, text: 'on scene', unit: 7, alias: 'Engine 7' }]
	}
};

/** What tRPC's ws handler sends for `yield tracked(String(id), call)` on subscription `rpcId`. */
function trpcFrame(rpcId: number | string, jsonrpc?: '2.0'): string {
	const [eventId, data] = tracked(String(call.id), call);
	const message = {
		id: rpcId,
		jsonrpc,
		result: { type: 'data', data: superjson.serialize({ id: eventId, data }), id: eventId }
	};
	return JSON.stringify(message);
}

describe('LiveCall frames', () => {
	it('are byte for byte what tRPC sends for the tracked call, per request id and version', () => {
		const live = new LiveCall(call, 9, 99);
		expect(live.frame({ id: 1 }).toString()).toBe(trpcFrame(1));
		expect(live.frame({ id: 'sub-"7"' }).toString()).toBe(trpcFrame('sub-"7"'));
		expect(live.frame({ id: 3, jsonrpc: '2.0' }).toString()).toBe(trpcFrame(3, '2.0'));
		// A client decodes it back to the call, Dates included.
		const parsed = JSON.parse(live.frame({ id: 1 }).toString());
		expect(superjson.deserialize(parsed.result.data)).toEqual({ id: '42', data: call });
		expect(parsed.result.id).toBe('42');
	});

	it('carry a transcript update as the call again, tracked as <callId>:<seq>', () => {
		const update = new LiveCall(call, 9, 99, 120, 'all', 'transcript');
		const parsed = JSON.parse(update.frame({ id: 1 }).toString());
		expect(parsed.result.id).toBe('42:120');
		expect(superjson.deserialize(parsed.result.data)).toEqual({ id: '42:120', data: call });
		expect(new LiveCall(call, 9, 99, 120, 'all', 'call').eventId).toBe('42');
	});

	it('encodes once per distinct request id, however many listeners share it', () => {
		const live = new LiveCall(call, 9, 99);
		const first = live.frame({ id: 1 });
		expect(live.frame({ id: 1 })).toBe(first);
		expect(live.frame({ id: 1, jsonrpc: '2.0' })).not.toBe(first);
		expect(live.frame({ id: '1' }).toString()).toBe(trpcFrame('1'));
	});

	it('match, byte for byte, the frame tRPC itself sends when a subscription yields the tracked call', async () => {
		const t = initTRPC.create({ transformer: superjson });
		const router = t.router({
			calls: t.procedure.subscription(async function* () {
				yield tracked(String(call.id), call);
			})
		});
		const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
		await new Promise((resolve) => wss.once('listening', resolve));
		const handler = applyWSSHandler({ wss, router });
		const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
		try {
			const frames: string[] = [];
			client.on('message', (data) => frames.push(data.toString()));
			await new Promise((resolve) => client.once('open', resolve));
			client.send(
				JSON.stringify({
					id: 11,
					method: 'subscription',
					params: { path: 'calls', input: { json: undefined } }
				})
			);
			client.send(
				JSON.stringify({
					id: 'x',
					jsonrpc: '2.0',
					method: 'subscription',
					params: { path: 'calls', input: {} }
				})
			);
			await expect.poll(() => frames.filter((f) => f.includes('"type":"data"')).length).toBe(2);
			const live = new LiveCall(call, 9, 99);
			const sent = frames.filter((f) => f.includes('"type":"data"'));
			expect(sent).toContain(live.frame({ id: 11 }).toString());
			expect(sent).toContain(live.frame({ id: 'x', jsonrpc: '2.0' }).toString());
		} finally {
			client.terminate();
			handler.broadcastReconnectNotification();
			await new Promise((resolve) => wss.close(resolve));
		}
	});
});

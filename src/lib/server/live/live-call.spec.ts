import { describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { tracked } from '@trpc/server';
import type { Call } from '../calls/dto';
import { LiveCall } from './live-call';

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
	patches: [200, 201]
};

/** What tRPC's ws handler sends for `yield tracked(String(id), call)` on subscription `rpcId`. */
function trpcFrame(rpcId: number | string, jsonrpc?: '2.0'): string {
	const [eventId, data] = tracked(String(call.id), call);
	const message = { id: rpcId, jsonrpc, result: { type: 'data', data: superjson.serialize({ id: eventId, data }), id: eventId } };
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

	it('encodes once per distinct request id, however many listeners share it', () => {
		const live = new LiveCall(call, 9, 99);
		const first = live.frame({ id: 1 });
		expect(live.frame({ id: 1 })).toBe(first);
		expect(live.frame({ id: 1, jsonrpc: '2.0' })).not.toBe(first);
		expect(live.frame({ id: '1' }).toString()).toBe(trpcFrame('1'));
	});
});

import { describe, expect, it } from 'vitest';
import { RPC_INPUT_KEY, wsCodec } from './ws-codec';

const decode = (message: unknown) => wsCodec.decode(JSON.stringify(message));

describe('wsCodec', () => {
	it('tells a live.calls subscription its request id, inside the superjson input', () => {
		expect(
			decode({
				id: 4,
				method: 'subscription',
				params: { path: 'live.calls', input: { json: { lastEventId: '9' } } }
			})
		).toEqual({
			id: 4,
			method: 'subscription',
			params: {
				path: 'live.calls',
				input: { json: { lastEventId: '9', [RPC_INPUT_KEY]: { id: 4 } } }
			}
		});
		// No input at all (wsLink sends none for `undefined`), a JSON-RPC 2.0 request, a string id.
		expect(
			decode({ id: 'a', jsonrpc: '2.0', method: 'subscription', params: { path: 'live.calls' } })
		).toMatchObject({
			params: { input: { json: { [RPC_INPUT_KEY]: { id: 'a', jsonrpc: '2.0' } } } }
		});
	});

	it("reads superjson's encoding of an undefined input as no input", () => {
		const undefinedInput = { json: null, meta: { values: ['undefined'], v: 1 } };
		expect(
			decode({
				id: 2,
				method: 'subscription',
				params: { path: 'live.calls', input: undefinedInput }
			})
		).toEqual({
			id: 2,
			method: 'subscription',
			params: { path: 'live.calls', input: { json: { [RPC_INPUT_KEY]: { id: 2 } } } }
		});
		// An explicit null stays null: input validation refuses it.
		const nullInput = { json: null };
		expect(
			decode({ id: 3, method: 'subscription', params: { path: 'live.calls', input: nullInput } })
		).toMatchObject({ params: { input: { json: null } } });
	});

	it('overwrites an id a client put there itself, so frames only ever answer the request they belong to', () => {
		const spoofed = decode({
			id: 5,
			method: 'subscription',
			params: { path: 'live.calls', input: { json: { [RPC_INPUT_KEY]: { id: 1 } } } }
		});
		expect(spoofed).toMatchObject({ params: { input: { json: { [RPC_INPUT_KEY]: { id: 5 } } } } });
	});

	it('tags every live.calls subscription in a batch and leaves everything else as sent', () => {
		const batch = [
			{ id: 1, method: 'query', params: { path: 'live.listeners', input: { json: {} } } },
			{ id: 2, method: 'subscription', params: { path: 'admin.events', input: { json: {} } } },
			{ id: 3, method: 'subscription', params: { path: 'live.calls', input: { json: {} } } },
			{ id: 4, method: 'subscription.stop' },
			{ id: 6, method: 'subscription', params: { path: 'live.calls', input: { json: [1] } } }
		];
		const decoded = decode(batch) as typeof batch;
		expect(decoded[0]).toEqual(batch[0]);
		expect(decoded[1]).toEqual(batch[1]);
		expect(decoded[2].params!.input).toEqual({ json: { [RPC_INPUT_KEY]: { id: 3 } } });
		expect(decoded[3]).toEqual(batch[3]);
		// Not an object input: left for input validation to refuse.
		expect(decoded[4]).toEqual(batch[4]);
	});

	it('refuses binary frames and passes JSON errors on', () => {
		expect(() => wsCodec.decode(new Uint8Array([123, 125]))).toThrow(/text frames/);
		expect(() => wsCodec.decode('{nope')).toThrow(SyntaxError);
		expect(wsCodec.encode({ id: 1, result: { type: 'started' } })).toBe(
			'{"id":1,"result":{"type":"started"}}'
		);
	});
});

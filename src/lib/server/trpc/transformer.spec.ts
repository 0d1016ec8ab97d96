import { describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { markShared, serverTransformer } from './transformer';

const call = () => ({ id: 7, dateTime: new Date('2026-01-02T03:04:05Z'), talkgroup: { id: 100, label: 'Fire' } });

describe('serverTransformer', () => {
	it('writes exactly what superjson writes, shared or not', () => {
		const plain = { id: '7', data: call() };
		const marked = { id: '7', data: markShared(call()) };
		expect(serverTransformer.output.serialize(plain)).toEqual(superjson.serialize(plain));
		expect(serverTransformer.output.serialize(marked)).toEqual(superjson.serialize(marked));
		const back = serverTransformer.output.deserialize(serverTransformer.output.serialize(marked)) as typeof marked;
		expect(back.data.dateTime).toBeInstanceOf(Date);
	});

	it('serializes a shared event once for every subscriber that sends it', () => {
		const data = markShared(call());
		const first = serverTransformer.output.serialize({ id: '7', data });
		expect(serverTransformer.output.serialize({ id: '7', data })).toBe(first);
	});

	it('does not reuse the result for another id, another shape, or an unmarked object', () => {
		const data = markShared(call());
		const first = serverTransformer.output.serialize({ id: '7', data });
		const otherId = serverTransformer.output.serialize({ id: '8', data });
		expect(otherId).not.toBe(first);
		expect((otherId.json as { id: string }).id).toBe('8');
		const extra = serverTransformer.output.serialize({ id: '8', data, more: 1 });
		expect((extra.json as { more: number }).more).toBe(1);
		const unmarked = call();
		expect(serverTransformer.output.serialize({ id: '1', data: unmarked })).not.toBe(serverTransformer.output.serialize({ id: '1', data: unmarked }));
	});
});

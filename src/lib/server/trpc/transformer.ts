import superjson from 'superjson';

type Serialized = ReturnType<typeof superjson.serialize>;

/**
 * Objects the live feeds hand, unchanged, to every subscriber. tRPC serializes a tracked event
 * `{ id, data }` once per subscription; for a call going to a thousand listeners that was a
 * thousand identical superjson walks (the fan-out profile's largest cost after socket writes).
 * Only objects marked here are memoized, so nothing else can be served a stale serialization.
 */
const shared = new WeakSet<object>();
const memo = new WeakMap<object, { id: string; result: Serialized }>();

/** Marks an event payload as shared and never mutated after this point. */
export function markShared<T extends object>(value: T): T {
	shared.add(value);
	return value;
}

function sharedEnvelope(value: unknown): { id: string; data: object } | null {
	if (typeof value !== 'object' || value === null) return null;
	const { id, data } = value as { id?: unknown; data?: unknown };
	if (typeof id !== 'string' || typeof data !== 'object' || data === null || !shared.has(data)) return null;
	// Exactly tRPC's tracked envelope: nothing else rides along that the memo would miss.
	return Object.keys(value).length === 2 ? { id, data } : null;
}

function serialize(value: unknown): Serialized {
	const envelope = sharedEnvelope(value);
	if (!envelope) return superjson.serialize(value);
	const hit = memo.get(envelope.data);
	if (hit && hit.id === envelope.id) return hit.result;
	const result = superjson.serialize(value);
	memo.set(envelope.data, { id: envelope.id, result });
	return result;
}

/** superjson on the wire, as before; live events are serialized once, not once per subscriber. */
export const serverTransformer = {
	input: { serialize: (v: unknown) => superjson.serialize(v), deserialize: (v: Serialized) => superjson.deserialize(v) },
	output: { serialize, deserialize: (v: Serialized) => superjson.deserialize(v) }
};

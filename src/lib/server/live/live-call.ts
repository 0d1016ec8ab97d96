import superjson from 'superjson';
import type { Call } from '../calls/dto';
import type { Audience, PublicationKind } from '../core/db/types';

/** Which subscription a frame answers: the JSON-RPC id (and version) of the client's request. */
export interface RpcRequestId {
	id: number | string;
	jsonrpc?: '2.0';
}

/**
 * A new call on its way to listeners, with the database keys access checks use. Encoded once:
 * the superjson JSON of the tracked event is built on first use and shared, and each distinct
 * subscription id gets one ready-to-send frame. A thousand listeners on a handful of request ids
 * cost a handful of encodings, not a thousand (docs/performance.md, fan-out).
 */
export class LiveCall {
	private json: string | null = null;
	private frames: Map<string, Buffer> | null = null;

	constructor(
		readonly call: Call,
		readonly systemId: number,
		readonly talkgroupId: number,
		/** Its place in the publication sequence (the live feed's order; calls/publish.ts). */
		readonly seq: number = call.id,
		/** Who this publication is for. */
		readonly audience: Audience = 'all',
		/** `transcript`: the call again, now with its transcript (an update of a delivered call). */
		readonly kind: PublicationKind = 'call'
	) {}

	/**
	 * The tracked id: the call id (CONTRACT.md) for the call itself; `<callId>:<seq>` for an update,
	 * so a client resuming from it continues after the update, not after the call's first delivery.
	 */
	get eventId(): string {
		return this.kind === 'call' ? String(this.call.id) : `${this.call.id}:${this.seq}`;
	}

	get id(): number {
		return this.call.id;
	}

	/**
	 * Exactly what tRPC's WebSocket handler sends for `yield tracked(String(id), call)` on the
	 * subscription `rpc`: `{"id":…,"result":{"type":"data","data":<superjson of {id, data}>,"id":"…"}}`.
	 */
	frame(rpc: RpcRequestId): Buffer {
		const key = rpc.jsonrpc ? `${JSON.stringify(rpc.id)}/2.0` : JSON.stringify(rpc.id);
		this.frames ??= new Map();
		let frame = this.frames.get(key);
		if (!frame) {
			const eventId = this.eventId;
			this.json ??= JSON.stringify(superjson.serialize({ id: eventId, data: this.call }));
			const version = rpc.jsonrpc ? `,"jsonrpc":"2.0"` : '';
			frame = Buffer.from(
				`{"id":${JSON.stringify(rpc.id)}${version},"result":{"type":"data","data":${this.json},"id":${JSON.stringify(eventId)}}}`
			);
			this.frames.set(key, frame);
		}
		return frame;
	}
}

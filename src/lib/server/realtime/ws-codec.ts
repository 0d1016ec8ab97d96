import { jsonEncoder, type Encoder } from '@trpc/server/adapters/ws';
import type { RpcRequestId } from '../live/live-call';

/**
 * Subscriptions whose events the server writes to the socket itself, as ready frames, instead
 * of yielding them through tRPC's per-subscription loop (live.calls: one call, a thousand
 * listeners). To frame an event the procedure must know its request's JSON-RPC id, which tRPC
 * does not pass to procedures; this decoder copies it into the input under RPC_INPUT_KEY.
 * It always overwrites, so a client cannot aim frames at another of its requests.
 */
export const DIRECT_SUBSCRIPTIONS = new Set(['live.calls']);
export const RPC_INPUT_KEY = '$rpc';

type Json = Record<string, unknown>;
/** A JSON object (not null, not an array): what a frame, its params and superjson inputs must be. */
export const isObject = (v: unknown): v is Json =>
	typeof v === 'object' && v !== null && !Array.isArray(v);

/** superjson's encoding of `undefined` ({ json: null, meta: { values: ['undefined'] } }): no input. */
function isSuperjsonUndefined(input: Json): boolean {
	const values = isObject(input.meta) ? input.meta.values : undefined;
	return (
		input.json === null && Array.isArray(values) && values.length === 1 && values[0] === 'undefined'
	);
}

function tagRequest(msg: unknown): void {
	if (!isObject(msg) || msg.method !== 'subscription' || !isObject(msg.params)) return;
	const { params } = msg;
	if (typeof params.path !== 'string' || !DIRECT_SUBSCRIPTIONS.has(params.path)) return;
	if (typeof msg.id !== 'number' && typeof msg.id !== 'string') return; // tRPC answers the bad id
	const rpc: RpcRequestId = msg.jsonrpc === '2.0' ? { id: msg.id, jsonrpc: '2.0' } : { id: msg.id };
	// The input is superjson's { json, meta }; a missing input becomes { json: { $rpc } }.
	const input = params.input === undefined ? (params.input = {}) : params.input;
	if (!isObject(input)) return; // not superjson: input validation rejects it
	if (input.json === undefined || isSuperjsonUndefined(input)) {
		input.json = {};
		delete input.meta;
	}
	if (isObject(input.json)) input.json[RPC_INPUT_KEY] = rpc;
}

/** tRPC's own JSON text frames, with direct subscriptions told their request id. */
export const wsCodec: Encoder = {
	encode: jsonEncoder.encode,
	decode(data) {
		const parsed = jsonEncoder.decode(data);
		if (Array.isArray(parsed)) parsed.forEach(tagRequest);
		else tagRequest(parsed);
		return parsed;
	}
};

import { TRPCError, type AnyRouter } from '@trpc/server';
import { isObject } from './ws-codec';

/** A request id as tRPC's WebSocket protocol allows it (null only on server notices). */
export type RequestId = number | string | null;

export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** One client message of tRPC's WebSocket protocol, input already through the transformer. */
export type ClientMessage =
	| { id: RequestId; jsonrpc?: '2.0'; method: 'subscription.stop' }
	| {
			id: RequestId;
			jsonrpc?: '2.0';
			method: ProcedureType;
			params: { path: string; input: unknown; lastEventId?: string };
	  };

const TYPES = new Set<unknown>(['query', 'mutation', 'subscription']);

/**
 * Checks one decoded message the way tRPC's own adapter does (parseTRPCMessage) and runs its
 * input through the router's transformer. Throws on anything else; the caller answers the
 * whole frame PARSE_ERROR, as tRPC does.
 */
export function parseClientMessage(raw: unknown, router: AnyRouter): ClientMessage {
	if (!isObject(raw)) throw new Error('Not an object');
	const { id, jsonrpc, method, params } = raw;
	if (id !== null && typeof id !== 'string' && (typeof id !== 'number' || Number.isNaN(id)))
		throw new Error('Invalid request id');
	if (jsonrpc !== undefined && jsonrpc !== '2.0') throw new Error('Must be JSONRPC 2.0');
	if (method === 'subscription.stop') return { id, jsonrpc, method };
	if (!TYPES.has(method)) throw new Error('Invalid procedure type');
	if (!isObject(params)) throw new Error('Not an object');
	const { input, path, lastEventId } = params;
	if (typeof path !== 'string') throw new Error('Invalid string');
	if (lastEventId !== undefined && typeof lastEventId !== 'string')
		throw new Error('Invalid string');
	return {
		id,
		jsonrpc,
		method: method as ProcedureType,
		params: {
			input: router._def._config.transformer.input.deserialize(input),
			path,
			lastEventId
		}
	};
}

/** `lastEventId` sent beside the input goes into it, as tRPC merges it. */
export function inputWithLastEventId(input: unknown, lastEventId: string | undefined): unknown {
	if (lastEventId === undefined) return input;
	if (isObject(input)) return { ...input, lastEventId };
	return input ?? { lastEventId };
}

/** connectionParams as tRPC accepts them: null, or an object of string values. */
export function parseConnectionParams(data: unknown): Record<string, string> | null {
	if (data === null) return null;
	if (!isObject(data) || Object.values(data).some((v) => typeof v !== 'string'))
		throw new TRPCError({ code: 'PARSE_ERROR', message: 'Invalid connection params shape' });
	return data as Record<string, string>;
}

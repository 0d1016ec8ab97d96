import { TRPCError } from '@trpc/server';
import type { TRPCRequestInfo } from '@trpc/server/http';

/** tRPC's own refusal of an over-long batch (the WebSocket's maxBatchSize); init.ts rewords it. */
export const TRPC_BATCH_TOO_LARGE = 'Batch call exceeds maximum size';

/**
 * Refusals that depend on the shape of an HTTP tRPC request, checked once the calls are known
 * and before any of them runs (createContext):
 * - only JSON bodies: a cross-site page can POST a form (multipart, urlencoded, text/plain)
 *   without a CORS preflight, JSON it cannot;
 * - at most `maxBatch` calls in one request;
 * - no auth.* call in a batch: every sign-in attempt is its own request, throttled on its own.
 */
export function checkHttpEnvelope(req: Request, info: TRPCRequestInfo, maxBatch: number): void {
	const type = req.headers.get('content-type')?.split(';', 1)[0].trim().toLowerCase();
	if (req.method !== 'GET' && type !== 'application/json') {
		throw new TRPCError({
			code: 'UNSUPPORTED_MEDIA_TYPE',
			message: `content-type: tRPC calls take application/json, not ${type ?? 'none'}`
		});
	}
	if (!info.isBatchCall) return;
	if (info.calls.length > maxBatch) {
		throw new TRPCError({
			code: 'BAD_REQUEST',
			message: `batch: at most ${maxBatch} calls per request (SQUELCH_TRPC_MAX_BATCH)`
		});
	}
	const auth = info.calls.find((call) => call.path.startsWith('auth.'));
	if (auth) {
		throw new TRPCError({
			code: 'BAD_REQUEST',
			message: `batch: ${auth.path} cannot be batched; send auth.* calls one per request`
		});
	}
}

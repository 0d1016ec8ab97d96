import { ServiceError, type ServiceErrorCode } from '../core/errors';
import { textReply, type Reply } from '../calls/reply';

/** The one map from a service refusal to an HTTP status (tRPC has its own, in trpc/init.ts). */
export const HTTP_STATUS: Record<ServiceErrorCode, number> = {
	BAD_REQUEST: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	CONFLICT: 409,
	TOO_MANY_REQUESTS: 429
};

/** A ServiceError as a plain-text reply (with Retry-After when it has one); null for any other error. */
export function serviceErrorReply(err: unknown): Reply | null {
	if (!(err instanceof ServiceError)) return null;
	const headers: Record<string, string> = {};
	if (err.retryAfterSec !== undefined) headers['retry-after'] = String(err.retryAfterSec);
	return textReply(HTTP_STATUS[err.code], err.message, headers);
}

/** What a service refusal means; transport maps it to a tRPC code (trpc/init.ts) or an HTTP status. */
export type ServiceErrorCode =
	'UNAUTHORIZED' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS' | 'BAD_REQUEST' | 'CONFLICT' | 'NOT_FOUND';

/** The one error type services throw for a refusal the caller should see. */
export class ServiceError extends Error {
	constructor(
		readonly code: ServiceErrorCode,
		message: string,
		readonly retryAfterSec?: number,
		/** Extra facts for the client, e.g. why a session ended. */
		readonly details?: Record<string, string>
	) {
		super(message);
		this.name = 'ServiceError';
	}
}

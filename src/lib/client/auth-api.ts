import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/root';

/**
 * The client for sign-in, refresh and setup: plain HTTP, never batched (the refresh cookie's Path
 * is exactly /api/trpc/auth.refresh), and never retried on 401 (it is what a retry would call).
 */
export const authApi = createTRPCClient<AppRouter>({
	links: [httpLink({ url: '/api/trpc', transformer: superjson })]
});

export function trpcErrorCode(err: unknown): string | undefined {
	return err instanceof TRPCClientError ? (err.data?.code as string | undefined) : undefined;
}

export function trpcErrorData(err: unknown): Record<string, unknown> {
	return err instanceof TRPCClientError ? ((err.data ?? {}) as Record<string, unknown>) : {};
}

import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/root';
import { session } from './session.svelte';

/** Queries and mutations over HTTP with the in-memory token; a 401 refreshes once and retries once. */
export const httpApi = createTRPCClient<AppRouter>({
	links: [httpLink({ url: '/api/trpc', transformer: superjson, fetch: session.fetch })]
});

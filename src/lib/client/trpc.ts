import { createTRPCClient, httpLink, splitLink, wsLink, type TRPCLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '$lib/server/trpc/root';
import { session } from './session.svelte';
import {
	connectionStateStore,
	createRealtimeClient,
	dropSocket,
	webSocketUrl,
	type ConnectionState,
	type RealtimeClient
} from './realtime';

/**
 * The tab's one tRPC client. Subscriptions (live.calls, admin.events) share one WebSocket;
 * queries and mutations go over HTTP, unbatched (the refresh cookie's Path is exactly
 * /api/trpc/auth.refresh), with a 401 refreshed once and retried once by session.fetch.
 */
let realtime: RealtimeClient | null = null;

function realtimeClient(): RealtimeClient {
	realtime ??= createRealtimeClient({
		url: () => webSocketUrl(window.location),
		getToken: () => session.socketToken(),
		// Revoked elsewhere (cap, admin, password change…): one refresh, else the signed-out screen.
		onRevoked: (reason) => {
			if (session.status === 'signed-in') void session.handleRevoked(reason);
		}
	});
	return realtime;
}

// Built on first use: the WebSocket client needs a browser.
const lazyWsLink: TRPCLink<AppRouter> = (runtime) => {
	let link: ReturnType<TRPCLink<AppRouter>> | undefined;
	return (op) =>
		(link ??= wsLink<AppRouter>({ client: realtimeClient(), transformer: superjson })(runtime))(op);
};

export const api = createTRPCClient<AppRouter>({
	links: [
		splitLink({
			condition: (op) => op.type === 'subscription',
			true: lazyWsLink,
			false: httpLink({ url: '/api/trpc', transformer: superjson, fetch: session.fetch })
		})
	]
});

/** The WebSocket's state, for the status badge. */
export const connectionState = {
	subscribe(run: (state: ConnectionState) => void): () => void {
		return connectionStateStore(realtimeClient()).subscribe(run);
	}
};

/** Close the tab's socket (it waits for a connecting socket to open first); the next subscription opens a new one. */
export async function closeRealtime(): Promise<void> {
	await realtime?.close();
}

/**
 * A subscription was refused UNAUTHORIZED although we hold a token: refresh once and drop the
 * socket, so the next subscribe goes out on a new one. Resolves whether resubscribing can help;
 * the caller resubscribes once per refusal and gives up on a second refusal in a row.
 */
export async function recoverFromUnauthorized(): Promise<boolean> {
	if (!(await session.reauthenticate())) return false;
	if (realtime) dropSocket(realtime);
	return true;
}

/**
 * Sign out this device. The page reacts at once: the session is cleared before anything waits
 * on the network or on a socket still connecting (which closes once it opens). Our own
 * `4003 session revoked: logout` then finds the session already signed out and is ignored.
 */
export async function logout(): Promise<void> {
	const closing = closeRealtime();
	await session.logout();
	await closing;
}

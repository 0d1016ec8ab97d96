import { api } from './trpc';
import { trpcErrorCode } from './auth-api';
import { retryDelayMs } from './backoff';

/**
 * The admin's live events feed (`admin.events` over the tab's one WebSocket), behind one function
 * so pages do not care how it is carried. Events arrive once each, oldest first. The socket's own
 * reconnects resume from the last tracked id (wsLink sends it); when the subscription itself ends
 * with an error, this subscribes again from the last id it saw, so nothing is missed and nothing
 * shown twice.
 */
export interface AdminFeedEvent {
	/** The event's id in the server's log (the subscription's tracked id). */
	id: string;
	type: string;
	at: Date;
	userId: number | null;
	[key: string]: unknown;
}

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'error';

export interface AdminEventsHandlers {
	/** Each event once, oldest first; after a reconnect the feed resumes after the last one seen. */
	onEvent(event: AdminFeedEvent): void;
	onStatus?(status: FeedStatus, detail?: string): void;
}

/** Starts the feed; returns a function that stops it. */
export function subscribeAdminEvents(handlers: AdminEventsHandlers): () => void {
	return followEvents((input, observer) => api.admin.events.subscribe(input, observer), handlers);
}

/** The part of a tRPC subscription the feed uses (so the retry logic is tested without a socket). */
export interface EventObserver {
	onStarted(): void;
	onData(envelope: { id: string; data: object }): void;
	onConnectionStateChange(state: { state: string; error?: unknown }): void;
	onError(err: unknown): void;
}
export type EventSource = (
	input: { lastEventId: string | null },
	observer: EventObserver
) => { unsubscribe(): void };

export function followEvents(
	source: EventSource,
	handlers: AdminEventsHandlers,
	delay: (attempt: number) => number = retryDelayMs
): () => void {
	let lastEventId: string | null = null;
	let stopped = false;
	let attempt = 0;
	let retry: ReturnType<typeof setTimeout> | undefined;
	let subscription: { unsubscribe(): void } | null = null;
	const status = (s: FeedStatus, detail?: string) => {
		if (!stopped) handlers.onStatus?.(s, detail);
	};

	const start = () => {
		status(lastEventId === null ? 'connecting' : 'reconnecting');
		subscription = source(
			{ lastEventId },
			{
				onStarted() {
					attempt = 0;
					status('live');
				},
				onData({ id, data }) {
					// Ids grow; one at or below the last was shown already.
					if (stopped || (lastEventId !== null && Number(id) <= Number(lastEventId))) return;
					lastEventId = id;
					// The feed's id is the tracked id (a string), in place of the log row's number.
					handlers.onEvent({ ...data, id } as AdminFeedEvent);
				},
				onConnectionStateChange(state) {
					if (state.state === 'connecting' && state.error) status('reconnecting');
				},
				onError(err) {
					subscription = null;
					if (stopped) return;
					const code = trpcErrorCode(err);
					if (code === 'FORBIDDEN' || code === 'UNAUTHORIZED') {
						// Not an admin (any more), or signed out: the layout says why; do not ask again.
						status('error', 'The server refused the events feed: sign in again as an admin.');
						return;
					}
					status('reconnecting');
					retry = setTimeout(start, delay(attempt++));
				}
			}
		);
	};
	start();

	return () => {
		stopped = true;
		clearTimeout(retry);
		subscription?.unsubscribe();
	};
}

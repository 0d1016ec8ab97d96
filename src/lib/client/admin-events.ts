/**
 * The admin's live events feed (`admin.events`), behind one function so the page does not care
 * how it is carried.
 *
 * NOT WIRED YET: the `admin.events` subscription and the tab's WebSocket client
 * (src/lib/client/trpc.ts) are being built on another branch. Until they are merged this reports
 * the feed as unavailable instead of pretending to be live.
 */
export interface AdminFeedEvent {
	/** The event's id in the server's log (the subscription's tracked id). */
	id: string;
	type: string;
	at: Date;
	userId: number | null;
	[key: string]: unknown;
}

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'unavailable' | 'error';

export interface AdminEventsHandlers {
	/** Each event once, oldest first; after a reconnect the feed resumes after the last one seen. */
	onEvent(event: AdminFeedEvent): void;
	onStatus?(status: FeedStatus, detail?: string): void;
}

/** Starts the feed; returns a function that stops it. */
export function subscribeAdminEvents(handlers: AdminEventsHandlers): () => void {
	handlers.onStatus?.('unavailable', 'The live events feed is not available on this server yet.');
	return () => {};
}

import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The module's default source is the tab's tRPC client, which needs a browser; these specs pass their own.
vi.mock('./trpc', () => ({ api: {} }));
const { followEvents } = await import('./admin-events');
type Observer = Parameters<Parameters<typeof followEvents>[0]>[1];

/** A hand-driven subscription: records each subscribe call and lets the spec play the server. */
function fakeSource() {
	const calls: Array<{
		input: { lastEventId: string | null };
		observer: Observer;
		unsubscribed: boolean;
	}> = [];
	const source = (input: { lastEventId: string | null }, observer: Observer) => {
		const call = { input, observer, unsubscribed: false };
		calls.push(call);
		return { unsubscribe: () => void (call.unsubscribed = true) };
	};
	return { calls, source };
}

const event = (id: number, type = 'session.created') => ({
	id: String(id),
	data: { id, type, at: new Date(id), userId: 1 }
});
const refused = (code: string) =>
	TRPCClientError.from({ error: { message: 'no', code: -32603, data: { code } } });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('admin events feed', () => {
	it('hands each event on once, with the tracked id, and reports when it is live', () => {
		const { calls, source } = fakeSource();
		const seen: string[] = [];
		const statuses: string[] = [];
		followEvents(source, {
			onEvent: (e) => seen.push(`${e.id}:${e.type}`),
			onStatus: (s) => statuses.push(s)
		});
		expect(calls[0].input).toEqual({ lastEventId: null });
		calls[0].observer.onStarted();
		calls[0].observer.onData(event(3));
		calls[0].observer.onData(event(4, 'user.created'));
		// A replay overlapping what was shown (wsLink resubscribing after a reconnect) shows nothing twice.
		calls[0].observer.onData(event(4, 'user.created'));
		calls[0].observer.onData(event(2));
		calls[0].observer.onData(event(5));
		expect(seen).toEqual(['3:session.created', '4:user.created', '5:session.created']);
		expect(statuses).toEqual(['connecting', 'live']);
	});

	it('subscribes again from the last id after the subscription ends with an error', () => {
		const { calls, source } = fakeSource();
		const seen: string[] = [];
		const statuses: string[] = [];
		followEvents(
			source,
			{ onEvent: (e) => seen.push(e.id), onStatus: (s) => statuses.push(s) },
			() => 1_000
		);
		calls[0].observer.onStarted();
		calls[0].observer.onData(event(7));
		calls[0].observer.onError(new Error('socket closed'));
		expect(statuses.at(-1)).toBe('reconnecting');
		expect(calls).toHaveLength(1);
		vi.advanceTimersByTime(1_000);
		expect(calls).toHaveLength(2);
		expect(calls[1].input).toEqual({ lastEventId: '7' });
		calls[1].observer.onStarted();
		calls[1].observer.onData(event(8));
		expect(seen).toEqual(['7', '8']);
		expect(statuses.at(-1)).toBe('live');
	});

	it('backs off longer on each failed attempt, and starts over once live', () => {
		const { calls, source } = fakeSource();
		const delays: number[] = [];
		followEvents(source, { onEvent: () => {} }, (attempt) => (delays.push(attempt), 10));
		for (let i = 0; i < 3; i++) {
			calls.at(-1)!.observer.onError(new Error('down'));
			vi.advanceTimersByTime(10);
		}
		calls.at(-1)!.observer.onStarted();
		calls.at(-1)!.observer.onError(new Error('down again'));
		expect(delays).toEqual([0, 1, 2, 0]);
	});

	it('stops asking when the server refuses the viewer', () => {
		const { calls, source } = fakeSource();
		const statuses: Array<[string, string | undefined]> = [];
		followEvents(
			source,
			{ onEvent: () => {}, onStatus: (s, d) => statuses.push([s, d]) },
			() => 10
		);
		calls[0].observer.onError(refused('FORBIDDEN'));
		vi.advanceTimersByTime(60_000);
		expect(calls).toHaveLength(1);
		expect(statuses.at(-1)).toEqual([
			'error',
			'The server refused the events feed: sign in again as an admin.'
		]);
	});

	it('stop ends the subscription and any pending retry, and nothing is reported after it', () => {
		const { calls, source } = fakeSource();
		const seen: string[] = [];
		const statuses: string[] = [];
		const stop = followEvents(
			source,
			{ onEvent: (e) => seen.push(e.id), onStatus: (s) => statuses.push(s) },
			() => 10
		);
		calls[0].observer.onError(new Error('down'));
		stop();
		vi.advanceTimersByTime(1_000);
		expect(calls).toHaveLength(1);

		const second = fakeSource();
		const stop2 = followEvents(second.source, { onEvent: (e) => seen.push(e.id) });
		stop2();
		expect(second.calls[0].unsubscribed).toBe(true);
		second.calls[0].observer.onData(event(9));
		expect(seen).toEqual([]);
		expect(statuses).toEqual(['connecting', 'reconnecting']);
	});
});

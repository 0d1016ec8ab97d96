import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { systemClock } from '../core/clock';
import { InProcessBus } from '../core/bus';
import { Connections, noticeLeadMs } from './connections';
import type { Viewer } from '../auth/access-token';

/** Just enough of a ws socket to watch what the registry does to it. */
class FakeSocket extends EventEmitter {
	readyState: number = WebSocket.OPEN;
	sent: string[] = [];
	closedWith: [number, string] | null = null;
	send(data: string) {
		this.sent.push(data);
	}
	close(code: number, reason: string) {
		this.closedWith = [code, reason];
		this.readyState = WebSocket.CLOSED;
		this.emit('close');
	}
}

const viewer = (over: Partial<Viewer> = {}): Viewer => ({
	userId: 1,
	username: 'alice',
	role: 'listener',
	sessionId: 's1',
	tokenExpiresAt: Date.now() + 15 * 60_000,
	...over
});

describe('noticeLeadMs', () => {
	it('is a fifth of the remaining life, between 1 and 30 seconds', () => {
		expect(noticeLeadMs(15 * 60_000)).toBe(30_000);
		expect(noticeLeadMs(60_000)).toBe(12_000);
		expect(noticeLeadMs(4_000)).toBe(1_000);
	});
});

describe('Connections', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	const setup = () => {
		const bus = new InProcessBus();
		const connections = new Connections({ bus, clock: systemClock });
		return { bus, connections };
	};

	it('asks for a reconnect 30 s before a 15-minute token expires, and closes 4001 at expiry', () => {
		const { connections } = setup();
		const socket = new FakeSocket();
		connections.add(socket as unknown as WebSocket, viewer());
		vi.advanceTimersByTime(15 * 60_000 - 30_001);
		expect(socket.sent).toEqual([]);
		vi.advanceTimersByTime(1);
		expect(socket.sent).toEqual(['{"id":null,"method":"reconnect"}']);
		vi.advanceTimersByTime(29_999);
		expect(socket.closedWith).toBeNull();
		vi.advanceTimersByTime(1);
		expect(socket.closedWith).toEqual([4001, 'token expired']);
		expect(connections.count()).toBe(0);
	});

	it('sends no notice to a socket that arrives with an almost spent token', () => {
		const { connections } = setup();
		const socket = new FakeSocket();
		connections.add(socket as unknown as WebSocket, viewer({ tokenExpiresAt: Date.now() + 800 }));
		vi.advanceTimersByTime(800);
		expect(socket.sent).toEqual([]);
		expect(socket.closedWith).toEqual([4001, 'token expired']);
	});

	it('closes only the revoked session’s sockets, 4003 with the reason', () => {
		const { bus, connections } = setup();
		const mine = new FakeSocket();
		const other = new FakeSocket();
		const anonymous = new FakeSocket();
		connections.add(mine as unknown as WebSocket, viewer());
		connections.add(other as unknown as WebSocket, viewer({ sessionId: 's2' }));
		connections.add(anonymous as unknown as WebSocket, null);
		bus.publish('session.revoked', { sessionId: 's1', userId: 1, reason: 'cap' });
		expect(mine.closedWith).toEqual([4003, 'session revoked: cap']);
		expect(other.closedWith).toBeNull();
		expect(anonymous.closedWith).toBeNull();
		// A socket of that session that finishes authenticating just after is closed too.
		const late = new FakeSocket();
		connections.add(late as unknown as WebSocket, viewer());
		expect(late.closedWith).toEqual([4003, 'session revoked: cap']);
		// Its timers died with it.
		vi.advanceTimersByTime(16 * 60_000);
		expect(mine.sent).toEqual([]);
	});

	it('asks a user’s sockets to reconnect when their access changes; a global change concerns anonymous sockets', () => {
		const { bus, connections } = setup();
		const alice = new FakeSocket();
		const bob = new FakeSocket();
		const anonymous = new FakeSocket();
		connections.add(alice as unknown as WebSocket, viewer());
		connections.add(bob as unknown as WebSocket, viewer({ userId: 2, sessionId: 's2' }));
		connections.add(anonymous as unknown as WebSocket, null);
		bus.publish('access.changed', { userId: 2 });
		expect([alice.sent.length, bob.sent.length, anonymous.sent.length]).toEqual([0, 1, 0]);
		bus.publish('access.changed', { userId: null });
		expect([alice.sent.length, bob.sent.length, anonymous.sent.length]).toEqual([0, 1, 1]);
	});

	it('closes 4004 when the account expires before the token, re-armed when the expiry moves', () => {
		const { bus, connections } = setup();
		const expiring = new FakeSocket();
		const moved = new FakeSocket();
		const cleared = new FakeSocket();
		const other = new FakeSocket();
		connections.add(
			expiring as unknown as WebSocket,
			viewer({ accountExpiresAt: Date.now() + 5_000 })
		);
		connections.add(moved as unknown as WebSocket, viewer({ userId: 2, sessionId: 's2' }));
		connections.add(
			cleared as unknown as WebSocket,
			viewer({ userId: 3, sessionId: 's3', accountExpiresAt: Date.now() + 5_000 })
		);
		connections.add(other as unknown as WebSocket, viewer({ userId: 4, sessionId: 's4' }));
		bus.publish('account.expiry', { userId: 2, expiresAt: Date.now() + 2_000 });
		bus.publish('account.expiry', { userId: 3, expiresAt: null });
		vi.advanceTimersByTime(1_999);
		expect(moved.closedWith).toBeNull();
		vi.advanceTimersByTime(1);
		expect(moved.closedWith).toEqual([4004, 'account expired']);
		vi.advanceTimersByTime(2_999);
		expect(expiring.closedWith).toBeNull();
		vi.advanceTimersByTime(1);
		expect(expiring.closedWith).toEqual([4004, 'account expired']);
		expect(cleared.closedWith).toBeNull();
		expect(other.closedWith).toBeNull();
		expect(connections.count()).toBe(2);
		// An expiry after the token's own leaves the 4001 at token expiry in charge.
		bus.publish('account.expiry', { userId: 4, expiresAt: Date.now() + 60 * 60_000 });
		vi.advanceTimersByTime(15 * 60_000);
		expect(other.closedWith).toEqual([4001, 'token expired']);
	});

	it('stops everything on dispose', () => {
		const { bus, connections } = setup();
		const socket = new FakeSocket();
		connections.add(socket as unknown as WebSocket, viewer());
		connections.dispose();
		bus.publish('session.revoked', { sessionId: 's1', userId: 1, reason: 'admin' });
		vi.advanceTimersByTime(16 * 60_000);
		expect(socket.closedWith).toBeNull();
		expect(socket.sent).toEqual([]);
	});
});

import { describe, expect, it } from 'vitest';
import { InProcessBus } from './bus';
import { BUS_VIEW_SIZE, BusView } from './bus-view';
import { ManualClock } from './clock';

function setup(maxAgeMs = 1000, sessions = false) {
	const clock = new ManualClock();
	const bus = new InProcessBus();
	const view = new BusView<string, string>(clock, maxAgeMs, bus, sessions);
	let reads = 0;
	const read = (value: string) => async () => {
		reads++;
		return value;
	};
	return { clock, bus, view, read, reads: () => reads };
}

describe('BusView', () => {
	it('reads once, then answers from memory until maxAgeMs has passed', async () => {
		const { clock, view, read, reads } = setup();
		expect(await view.through('s1', 1, read('a'))).toBe('a');
		clock.advance(999);
		expect(await view.through('s1', 1, read('b'))).toBe('a');
		expect(reads()).toBe(1);
		clock.advance(1);
		expect(await view.through('s1', 1, read('b'))).toBe('b');
		expect(reads()).toBe(2);
	});

	it('an entry is only for the user it was read for', async () => {
		const { view, read } = setup();
		await view.through('s1', 1, read('a'));
		expect(view.get('s1', 2)).toBeUndefined();
		expect(await view.through('s1', 2, read('b'))).toBe('b');
	});

	it('session.revoked drops that session when keys are sessions', async () => {
		const { bus, view, read } = setup(1000, true);
		await view.through('s1', 1, read('a'));
		await view.through('s2', 1, read('a'));
		bus.publish('session.revoked', { sessionId: 's1', userId: 1, reason: 'admin' });
		expect(view.get('s1', 1)).toBeUndefined();
		expect(view.get('s2', 1)).toBe('a');
	});

	it('access.changed and account.expiry drop the user’s entries; a global change drops all', async () => {
		const { bus, view, read } = setup();
		await view.through('s1', 1, read('a'));
		await view.through('s2', 2, read('a'));
		await view.through('s3', 3, read('a'));
		bus.publish('access.changed', { userId: 1 });
		expect(view.get('s1', 1)).toBeUndefined();
		expect(view.get('s2', 2)).toBe('a');
		bus.publish('account.expiry', { userId: 2, expiresAt: null });
		expect(view.get('s2', 2)).toBeUndefined();
		expect(view.get('s3', 3)).toBe('a');
		bus.publish('access.changed', { userId: null });
		expect(view.get('s3', 3)).toBeUndefined();
	});

	it('a read that an event overtook is answered but not kept', async () => {
		const { bus, view } = setup(1000, true);
		let release!: (v: string) => void;
		const slow = view.through('s1', 1, () => new Promise<string>((r) => (release = r)));
		bus.publish('session.revoked', { sessionId: 's1', userId: 1, reason: 'admin' });
		release('before the revocation');
		expect(await slow).toBe('before the revocation');
		expect(view.get('s1', 1)).toBeUndefined();
	});

	it('with maxAgeMs 0 nothing is kept', async () => {
		const { view, read, reads } = setup(0);
		await view.through('s1', 1, read('a'));
		await view.through('s1', 1, read('a'));
		expect(reads()).toBe(2);
	});

	it(`holds at most ${BUS_VIEW_SIZE} entries, the oldest out first`, async () => {
		const { view, read } = setup();
		for (let i = 0; i <= BUS_VIEW_SIZE; i++) await view.through(`s${i}`, i, read('a'));
		expect(view.get('s0', 0)).toBeUndefined();
		expect(view.get('s1', 1)).toBe('a');
		expect(view.get(`s${BUS_VIEW_SIZE}`, BUS_VIEW_SIZE)).toBe('a');
	});
});

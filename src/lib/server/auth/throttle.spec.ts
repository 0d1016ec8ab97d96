import { expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { LoginThrottle } from './throttle';

it('lets five failures through, then makes each further attempt wait longer, and forgets after the window', () => {
	const clock = new ManualClock();
	const throttle = new LoginThrottle(clock);
	for (let i = 0; i < 5; i++) {
		expect(throttle.retryAfterSec('1.2.3.4', 'Ann')).toBe(0);
		throttle.failed('1.2.3.4', 'Ann');
	}
	expect(throttle.retryAfterSec('5.6.7.8', 'ann')).toBe(1); // per username, case-insensitive
	clock.advance(1000);
	throttle.failed('5.6.7.8', 'ann');
	expect(throttle.retryAfterSec('9.9.9.9', 'ann')).toBe(2);
	expect(throttle.retryAfterSec('9.9.9.9', 'bob')).toBe(0);
	clock.advance(16 * 60_000);
	expect(throttle.retryAfterSec('9.9.9.9', 'ann')).toBe(0);
});

it('a success clears the username count but not the IP count', () => {
	const clock = new ManualClock();
	const throttle = new LoginThrottle(clock);
	for (let i = 0; i < 20; i++) throttle.failed('1.2.3.4', `user${i % 3}`);
	throttle.succeeded('user0');
	expect(throttle.retryAfterSec('8.8.8.8', 'user0')).toBe(0);
	expect(throttle.retryAfterSec('1.2.3.4', 'someone')).toBeGreaterThan(0);
});

import { expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { LoginThrottle, type LoginAttempt } from './throttle';

function reserve(throttle: LoginThrottle, ip: string, username: string): LoginAttempt {
	const attempt = throttle.reserve(ip, username);
	if ('retryAfterSec' in attempt) throw new Error(`refused: wait ${attempt.retryAfterSec}s`);
	return attempt;
}

const waitOf = (throttle: LoginThrottle, ip: string, username: string) => {
	const attempt = throttle.reserve(ip, username);
	return 'retryAfterSec' in attempt ? attempt.retryAfterSec : 0;
};

it('lets five attempts through, then makes each further attempt wait longer, and forgets after the window', () => {
	const clock = new ManualClock();
	const throttle = new LoginThrottle(clock);
	for (let i = 0; i < 5; i++) reserve(throttle, '1.2.3.4', 'Ann'); // failures: nothing reported
	expect(waitOf(throttle, '5.6.7.8', 'ann')).toBe(1); // per username, case-insensitive
	clock.advance(1000);
	reserve(throttle, '5.6.7.8', 'ann');
	expect(waitOf(throttle, '9.9.9.9', 'ann')).toBe(2);
	expect(waitOf(throttle, '9.9.9.9', 'bob')).toBe(0);
	clock.advance(16 * 60_000);
	expect(waitOf(throttle, '9.9.9.9', 'ann')).toBe(0);
});

it('attempts still in flight count: 40 reserved at once get exactly 5, the 6th is refused at once', () => {
	const throttle = new LoginThrottle(new ManualClock());
	const outcomes = Array.from({ length: 40 }, () => throttle.reserve('1.2.3.4', 'ann'));
	expect(outcomes.filter((o) => !('retryAfterSec' in o))).toHaveLength(5);
	expect(outcomes.slice(5).every((o) => 'retryAfterSec' in o && o.retryAfterSec > 0)).toBe(true);
});

it('a success clears the username count and gives back its IP slot, but not the IP failures', () => {
	const throttle = new LoginThrottle(new ManualClock());
	for (let i = 0; i < 4; i++) reserve(throttle, '1.2.3.4', 'user0');
	for (let i = 0; i < 15; i++) reserve(throttle, '1.2.3.4', `user${1 + (i % 5)}`);
	reserve(throttle, '1.2.3.4', 'user0').succeeded();
	// user0 starts afresh (five attempts from another address) …
	for (let i = 0; i < 5; i++) reserve(throttle, '8.8.8.8', 'user0');
	// … and the IP holds its 19 failures: one more attempt fits in its 20, then it waits.
	reserve(throttle, '1.2.3.4', 'someone');
	expect(waitOf(throttle, '1.2.3.4', 'someone-else')).toBeGreaterThan(0);
});

it('an abandoned attempt (never checked) gives back both slots', () => {
	const throttle = new LoginThrottle(new ManualClock());
	for (let i = 0; i < 4; i++) reserve(throttle, '1.2.3.4', 'ann');
	for (let i = 0; i < 10; i++) reserve(throttle, '1.2.3.4', 'ann').abandoned();
	reserve(throttle, '1.2.3.4', 'ann');
	expect(waitOf(throttle, '1.2.3.4', 'ann')).toBeGreaterThan(0);
});

it('takes its limits from the configuration (SQUELCH_LOGIN_USER_ATTEMPTS, SQUELCH_LOGIN_IP_ATTEMPTS)', () => {
	const throttle = new LoginThrottle(new ManualClock(), { perUsername: 2, perIp: 3 });
	reserve(throttle, '1.2.3.4', 'ann');
	reserve(throttle, '1.2.3.4', 'ann');
	expect(waitOf(throttle, '5.6.7.8', 'ann')).toBe(1);
	reserve(throttle, '1.2.3.4', 'bob');
	expect(waitOf(throttle, '1.2.3.4', 'cy')).toBe(1);
});

import { expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { createTestDb } from '../core/db';
import { LoginThrottle, type LoginAttempt, type ThrottleLimits } from './throttle';

async function throttleOf(limits?: ThrottleLimits) {
	const clock = new ManualClock();
	return { clock, throttle: new LoginThrottle({ db: await createTestDb(), clock }, limits) };
}

async function reserve(
	throttle: LoginThrottle,
	ip: string,
	username: string
): Promise<LoginAttempt> {
	const attempt = await throttle.reserve(ip, username);
	if ('retryAfterSec' in attempt) throw new Error(`refused: wait ${attempt.retryAfterSec}s`);
	return attempt;
}

const waitOf = async (throttle: LoginThrottle, ip: string, username: string) => {
	const attempt = await throttle.reserve(ip, username);
	return 'retryAfterSec' in attempt ? attempt.retryAfterSec : 0;
};

it('lets five attempts through, then makes each further attempt wait longer, and forgets after the window', async () => {
	const { clock, throttle } = await throttleOf();
	for (let i = 0; i < 5; i++) await reserve(throttle, '1.2.3.4', 'Ann'); // failures: nothing reported
	expect(await waitOf(throttle, '5.6.7.8', 'ann')).toBe(1); // per username, case-insensitive
	clock.advance(1000);
	await reserve(throttle, '5.6.7.8', 'ann');
	expect(await waitOf(throttle, '9.9.9.9', 'ann')).toBe(2);
	expect(await waitOf(throttle, '9.9.9.9', 'bob')).toBe(0);
	clock.advance(16 * 60_000);
	expect(await waitOf(throttle, '9.9.9.9', 'ann')).toBe(0);
});

it('attempts still in flight count: 40 reserved at once get exactly 5, the rest are refused', async () => {
	const { throttle } = await throttleOf();
	const outcomes = await Promise.all(
		Array.from({ length: 40 }, () => throttle.reserve('1.2.3.4', 'ann'))
	);
	expect(outcomes.filter((o) => !('retryAfterSec' in o))).toHaveLength(5);
	expect(outcomes.filter((o) => 'retryAfterSec' in o && o.retryAfterSec > 0)).toHaveLength(35);
});

it('two throttles on one database (two instances) share one allowance', async () => {
	const clock = new ManualClock();
	const db = await createTestDb();
	const a = new LoginThrottle({ db, clock });
	const b = new LoginThrottle({ db, clock });
	const outcomes = await Promise.all(
		Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve('1.2.3.4', 'ann'))
	);
	expect(outcomes.filter((o) => !('retryAfterSec' in o))).toHaveLength(5);
});

it('a success clears the username count and gives back its IP slot, but not the IP failures', async () => {
	const { throttle } = await throttleOf();
	for (let i = 0; i < 4; i++) await reserve(throttle, '1.2.3.4', 'user0');
	for (let i = 0; i < 15; i++) await reserve(throttle, '1.2.3.4', `user${1 + (i % 5)}`);
	await (await reserve(throttle, '1.2.3.4', 'user0')).succeeded();
	// user0 starts afresh (five attempts from another address) …
	for (let i = 0; i < 5; i++) await reserve(throttle, '8.8.8.8', 'user0');
	// … and the IP holds its 19 failures: one more attempt fits in its 20, then it waits.
	await reserve(throttle, '1.2.3.4', 'someone');
	expect(await waitOf(throttle, '1.2.3.4', 'someone-else')).toBeGreaterThan(0);
});

it('an abandoned attempt (never checked) gives back both slots', async () => {
	const { throttle } = await throttleOf();
	for (let i = 0; i < 4; i++) await reserve(throttle, '1.2.3.4', 'ann');
	for (let i = 0; i < 10; i++) await (await reserve(throttle, '1.2.3.4', 'ann')).abandoned();
	await reserve(throttle, '1.2.3.4', 'ann');
	expect(await waitOf(throttle, '1.2.3.4', 'ann')).toBeGreaterThan(0);
});

it('a refusal by the username gives back the IP slot it had taken', async () => {
	const { throttle } = await throttleOf({ perUsername: 1, perIp: 3 });
	await reserve(throttle, '1.2.3.4', 'ann');
	for (let i = 0; i < 5; i++) expect(await waitOf(throttle, '1.2.3.4', 'ann')).toBe(1);
	await reserve(throttle, '1.2.3.4', 'bob');
	await reserve(throttle, '1.2.3.4', 'cy');
	expect(await waitOf(throttle, '1.2.3.4', 'dee')).toBe(1);
});

it('takes its limits from the configuration (SQUELCH_LOGIN_USER_ATTEMPTS, SQUELCH_LOGIN_IP_ATTEMPTS)', async () => {
	const { throttle } = await throttleOf({ perUsername: 2, perIp: 3 });
	await reserve(throttle, '1.2.3.4', 'ann');
	await reserve(throttle, '1.2.3.4', 'ann');
	expect(await waitOf(throttle, '5.6.7.8', 'ann')).toBe(1);
	await reserve(throttle, '1.2.3.4', 'bob');
	expect(await waitOf(throttle, '1.2.3.4', 'cy')).toBe(1);
});

import { expect, it } from 'vitest';
import { codeOf, testServices } from '../testing';
import { insertUser, login } from './accounts';

const DEVICE = { userAgent: 'test', ip: '10.0.0.1', rememberMe: true };

async function setup() {
	const svc = await testServices();
	await insertUser(svc, { username: 'ann', password: 'password-ann', role: 'listener' });
	return svc;
}

it('40 parallel sign-ins for one user: 5 are checked, the rest and then the right password are refused', async () => {
	const svc = await setup();
	const codes = await Promise.all(
		Array.from({ length: 40 }, (_, i) =>
			codeOf(login(svc, { username: 'ann', password: `wrong-${i}` }, DEVICE))
		)
	);
	expect(codes.filter((c) => c === 'UNAUTHORIZED')).toHaveLength(5);
	expect(codes.filter((c) => c === 'TOO_MANY_REQUESTS')).toHaveLength(35);
	expect(await codeOf(login(svc, { username: 'ann', password: 'password-ann' }, DEVICE))).toBe(
		'TOO_MANY_REQUESTS'
	);
});

it('a sign-in refused because the password queue is full is not counted against the user', async () => {
	const svc = await setup();
	const queue = svc.passwords.queue;
	// Fill the running slot and the whole waiting line with work of our own that holds until
	// released, so sign-in's database read (a network round trip on PostgreSQL) cannot let one finish.
	let release!: () => void;
	const gate = new Promise<void>((resolve) => (release = resolve));
	const filling: Promise<void>[] = [];
	while (queue.pending < svc.config.hashConcurrency + svc.config.hashQueue)
		filling.push(queue.run(() => gate));
	const refusedBefore = queue.refused;
	for (let i = 0; i < 8; i++) {
		const err = await login(svc, { username: 'ann', password: 'wrong' }, DEVICE).catch((e) => e);
		expect(err.code).toBe('TOO_MANY_REQUESTS');
		expect(err.message).toMatch(/busy checking passwords/);
	}
	expect(queue.refused - refusedBefore).toBe(8);
	release();
	await Promise.all(filling);
	// Eight refusals later the user still has all five attempts, and the right password works.
	for (let i = 0; i < 4; i++)
		expect(await codeOf(login(svc, { username: 'ann', password: 'wrong' }, DEVICE))).toBe(
			'UNAUTHORIZED'
		);
	const { session } = await login(svc, { username: 'ann', password: 'password-ann' }, DEVICE);
	expect(session.user_id).toBeGreaterThan(0);
});

import { expect, it } from 'vitest';
import { codeOf, opened } from '../testing';
import { WorkQueue } from './work-queue';

it('runs at most `concurrency` tasks, queues up to `maxWaiting`, refuses the rest with TOO_MANY_REQUESTS', async () => {
	const queue = new WorkQueue({ concurrency: 2, maxWaiting: 3 });
	// Tasks that finish only when the test says so.
	const gates = Array.from({ length: 5 }, () => opened());
	const started: number[] = [];
	const runs = gates.map((g, i) =>
		queue.run(async () => {
			started.push(i);
			await g.promise;
			return i;
		})
	);
	const refused = [queue.run(async () => 'x'), queue.run(async () => 'y')];
	expect(await Promise.all(refused.map(codeOf))).toEqual([
		'TOO_MANY_REQUESTS',
		'TOO_MANY_REQUESTS'
	]);
	await Promise.resolve();
	expect(started).toEqual([0, 1]);
	expect(queue.pending).toBe(5);
	// Finishing one hands its slot to the next in line, in order.
	gates[0].open();
	await runs[0];
	await new Promise((r) => setImmediate(r));
	expect(started).toEqual([0, 1, 2]);
	for (const g of gates) g.open();
	expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
	expect(queue.peak).toBe(2);
	expect(queue.refused).toBe(2);
	expect(queue.pending).toBe(0);
});

it('a failing task frees its slot', async () => {
	const queue = new WorkQueue({ concurrency: 1, maxWaiting: 0 });
	await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
	expect(await queue.run(async () => 'next')).toBe('next');
});

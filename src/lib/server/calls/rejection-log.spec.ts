import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../core/bus';
import { RejectionLog } from './rejection-log';
import { testServices } from '../testing';

async function setup(maxClients = 100) {
	const deps = {
		...(await testServices({}, { now: Date.UTC(2024, 5, 15, 12) })),
		bus: new InProcessBus()
	};
	const rows = async () =>
		(await deps.db.selectFrom('events').select(['type', 'data']).orderBy('id').execute()).map(
			(r) => ({ type: r.type, ...JSON.parse(r.data) })
		);
	return { deps, rows, log: new RejectionLog(deps, 60_000, maxClients) };
}

describe('RejectionLog', () => {
	it('writes one row per client and status per minute, then one with the count of the rest', async () => {
		const { deps, rows, log } = await setup();
		const start = deps.clock.now();
		for (let i = 0; i < 420; i++) {
			await log.record({ status: 401, reason: `bad key ${i}`, ip: '192.0.2.9', keyName: null });
			deps.clock.advance(100); // 42 s in all
		}
		await log.record({ status: 401, reason: 'other client', ip: '192.0.2.10', keyName: null });
		await log.record({ status: 400, reason: 'malformed', ip: '192.0.2.9', keyName: null });
		expect(await rows()).toEqual([
			{
				type: 'upload.rejected',
				status: 401,
				reason: 'bad key 0',
				ip: '192.0.2.9',
				keyName: null,
				count: 1
			},
			{
				type: 'upload.rejected',
				status: 401,
				reason: 'other client',
				ip: '192.0.2.10',
				keyName: null,
				count: 1
			},
			// Another status from the same client is a row of its own.
			{
				type: 'upload.rejected',
				status: 400,
				reason: 'malformed',
				ip: '192.0.2.9',
				keyName: null,
				count: 1
			}
		]);

		deps.clock.advance(18_000); // the first client's minute is over
		await log.flush();
		const after = await rows();
		expect(after).toHaveLength(4);
		expect(after[3]).toEqual({
			type: 'upload.rejected',
			status: 401,
			reason: 'bad key 419',
			ip: '192.0.2.9',
			keyName: null,
			count: 419,
			since: start
		});
		// A new minute starts a new first row; the other client, rejected once, adds nothing.
		await log.record({ status: 401, reason: 'again', ip: '192.0.2.9', keyName: null });
		deps.clock.advance(60_000);
		await log.flush();
		expect((await rows()).slice(4)).toEqual([
			expect.objectContaining({ reason: 'again', count: 1 })
		]);
	});

	it('keeps a key and an address apart, bounds the clients it remembers, and writes the rest on stop', async () => {
		const { rows, log } = await setup(2);
		for (const [ip, keyName] of [
			['192.0.2.1', 'attic'],
			['192.0.2.1', null],
			['192.0.2.1', 'attic'],
			['192.0.2.2', null] // a third client: the oldest window closes early
		] as const)
			await log.record({ status: 429, reason: 'r', ip, keyName });
		expect((await rows()).map((r) => [r.ip, r.keyName, r.count])).toEqual([
			['192.0.2.1', 'attic', 1],
			['192.0.2.1', null, 1],
			['192.0.2.1', 'attic', 1],
			['192.0.2.2', null, 1]
		]);
		await log.record({ status: 429, reason: 'r', ip: '192.0.2.2', keyName: null });
		const stop = log.start();
		await stop();
		expect((await rows()).slice(4).map((r) => [r.ip, r.count])).toEqual([['192.0.2.2', 1]]);
	});
});

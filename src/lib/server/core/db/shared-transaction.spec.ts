import { describe, expect, it, vi } from 'vitest';
import { createTestDb } from './index';
import { inSharedTransaction } from './shared-transaction';
import { isPostgres } from './dialect';

/** Runs on the suite's database (SQLite, or PostgreSQL under SQUELCH_TEST_DB=postgres). */
describe('inSharedTransaction', () => {
	const addSystem =
		(ref: number) => (trx: Parameters<Parameters<typeof inSharedTransaction>[2]>[0]) =>
			trx
				.insertInto('systems')
				.values({ system_ref: ref, label: `S${ref}`, created_at: 0 })
				.returning('id')
				.executeTakeFirstOrThrow()
				.then((r) => r.id);

	it('runs the units of one turn in one transaction (SQLite), in order, each seeing the ones before', async () => {
		const db = await createTestDb();
		const pg = isPostgres(db);
		const transactions = vi.spyOn(db, 'transaction');
		const seen: number[] = [];
		const results = await Promise.all([
			inSharedTransaction(db, 'k:2', addSystem(1)),
			inSharedTransaction(db, 'k:1', async (trx) => {
				seen.push((await trx.selectFrom('systems').select('id').execute()).length);
				return addSystem(2)(trx);
			}),
			inSharedTransaction(db, 'k:2', addSystem(3))
		]);
		// PostgreSQL: each alone, under its own lock (the same key waits, others run meanwhile).
		expect(transactions).toHaveBeenCalledTimes(pg ? 3 : 1);
		if (!pg) {
			expect(seen).toEqual([1]);
			expect(results[1]).toBeGreaterThan(results[0]);
			expect(results[2]).toBeGreaterThan(results[1]);
		}
		// Committed: another turn sees all three.
		expect(
			await db.selectFrom('systems').select('system_ref').orderBy('system_ref').execute()
		).toEqual([{ system_ref: 1 }, { system_ref: 2 }, { system_ref: 3 }]);
	});

	it('when one unit fails, runs each alone: the others commit once, the failing one is refused', async () => {
		const db = await createTestDb();
		const pg = isPostgres(db);
		const transactions = vi.spyOn(db, 'transaction');
		const results = await Promise.allSettled([
			inSharedTransaction(db, 'k', addSystem(1)),
			inSharedTransaction(db, 'k', addSystem(1)), // unique system_ref: fails
			inSharedTransaction(db, 'k', addSystem(2))
		]);
		const statuses = results.map((r) => r.status);
		expect([...statuses].sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
		if (!pg) expect(statuses).toEqual(['fulfilled', 'rejected', 'fulfilled']); // in order
		// SQLite: the shared attempt, then one each; PostgreSQL: one each from the start.
		expect(transactions).toHaveBeenCalledTimes(pg ? 3 : 4);
		expect(
			await db.selectFrom('systems').select('system_ref').orderBy('system_ref').execute()
		).toEqual([{ system_ref: 1 }, { system_ref: 2 }]);
	});

	it('a unit alone in its turn is its own transaction', async () => {
		const db = await createTestDb();
		await expect(inSharedTransaction(db, 'k', addSystem(5))).resolves.toBeGreaterThan(0);
		await expect(inSharedTransaction(db, 'k', addSystem(5))).rejects.toThrow();
		expect(await db.selectFrom('systems').select('system_ref').execute()).toEqual([
			{ system_ref: 5 }
		]);
	});
});

import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDb } from './index';
import { prepared, type Param } from './prepared';

/** Runs on the suite's database (SQLite, or PostgreSQL under SQUELCH_TEST_DB=postgres). */
describe('prepared', () => {
	it('builds once and runs with each call’s values, in and out of a transaction', async () => {
		const db = await createTestDb();
		let builds = 0;
		const insert = prepared((db, p: Param<{ ref: number; label: string; at: number }>) => {
			builds++;
			return db
				.insertInto('systems')
				.values({ system_ref: p('ref'), label: p('label'), created_at: p('at') })
				.returning(['id', 'label']);
		});
		const byRef = prepared((db, p: Param<{ ref: number }>) => {
			builds++;
			return db.selectFrom('systems').select(['label']).where('system_ref', '=', p('ref')).limit(1);
		});
		const a = await insert.executeTakeFirst(db, { ref: 7, label: 'Seven', at: 1 });
		const b = await db
			.transaction()
			.execute((trx) => insert.executeTakeFirst(trx, { ref: 8, label: 'Eight', at: 2 }));
		expect(a?.label).toBe('Seven');
		expect(b?.label).toBe('Eight');
		expect(b!.id).toBeGreaterThan(a!.id);
		expect(await byRef.execute(db, { ref: 8 })).toEqual([{ label: 'Eight' }]);
		expect(await byRef.executeTakeFirst(db, { ref: 9 })).toBeUndefined();
		// Values that look like SQL stay values.
		await insert.execute(db, { ref: 10, label: "x'); drop table systems; --", at: 3 });
		expect((await byRef.executeTakeFirst(db, { ref: 10 }))?.label).toBe(
			"x'); drop table systems; --"
		);
		expect(builds).toBe(2); // once per query on this dialect, whatever the number of runs
	});

	it('refuses a query where a named value is not a bound parameter', async () => {
		const db = await createTestDb();
		const inlined = prepared((db, p: Param<{ ref: number }>) =>
			db
				.selectFrom('systems')
				.select('id')
				.where('system_ref', '=', sql.lit(p('ref')))
		);
		await expect(inlined.execute(db, { ref: 1 })).rejects.toThrow(/not every value/);
		const unused = prepared((db, p: Param<{ ref: number; other: number }>) => {
			p('other');
			return db.selectFrom('systems').select('id').where('system_ref', '=', p('ref'));
		});
		await expect(unused.execute(db, { ref: 1, other: 2 })).rejects.toThrow(/not every value/);
	});
});

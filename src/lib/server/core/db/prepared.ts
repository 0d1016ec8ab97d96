import { createQueryId, type Compilable, type Kysely } from 'kysely';
import type { Database } from './types';
import { dialectOf, type Dialect } from './dialect';

/**
 * A query written once with the query builder and compiled once per dialect, then run with new
 * values: the per-upload statements skip Kysely's building and compiling, which was a tenth of
 * an upload's CPU (docs/performance.md, ingest). The SQL is Kysely's own for the dialect, so
 * nothing here is SQLite- or PostgreSQL-specific.
 *
 * `build` receives `param(name)`, which stands for the value of `params[name]` at each run. It
 * must be used only where Kysely sends a value as a bound parameter (comparisons, inserted and
 * updated values, limit) — compiling checks that every named value became exactly one parameter.
 */
export interface Prepared<P, R> {
	execute(db: Kysely<Database>, params: P): Promise<R[]>;
	executeTakeFirst(db: Kysely<Database>, params: P): Promise<R | undefined>;
}

/** Stands for a named value while the query is built (never a real value: it holds a NUL). */
const SLOT = '\u0000param:';

type Slot = { name: string } | { value: unknown };

interface Plan {
	sql: string;
	query: ReturnType<Compilable<unknown>['compile']>['query'];
	slots: Slot[];
}

/** `param(name)` inside a prepared query's builder; annotate it to name the values: `Param<{ id: number }>`. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];

export function prepared<P extends Record<string, unknown>, R>(
	build: (db: Kysely<Database>, param: Param<P>) => Compilable<R>
): Prepared<P, R> {
	const plans = new Map<Dialect, Plan>();
	const planFor = (db: Kysely<Database>): Plan => {
		const dialect = dialectOf(db);
		let plan = plans.get(dialect);
		if (!plan) {
			const names = new Set<string>();
			const compiled = build(db, (name) => {
				names.add(name);
				return `${SLOT}${name}` as never;
			}).compile();
			const slots: Slot[] = compiled.parameters.map((value) =>
				typeof value === 'string' && value.startsWith(SLOT)
					? { name: value.slice(SLOT.length) }
					: { value }
			);
			const used = slots.flatMap((s) => ('name' in s ? [s.name] : []));
			if (used.length !== names.size || used.some((n) => !names.has(n)))
				throw new Error(`prepared query: not every value became one parameter: ${compiled.sql}`);
			plan = { sql: compiled.sql, query: compiled.query, slots };
			plans.set(dialect, plan);
		}
		return plan;
	};
	const execute = async (db: Kysely<Database>, params: P): Promise<R[]> => {
		const plan = planFor(db);
		const parameters = plan.slots.map((s) => ('name' in s ? params[s.name] : s.value));
		const result = await db.executeQuery<R>({
			sql: plan.sql,
			query: plan.query,
			queryId: createQueryId(),
			parameters
		});
		return result.rows;
	};
	return {
		execute,
		executeTakeFirst: async (db, params) => (await execute(db, params))[0]
	};
}

import type { KyselyPlugin } from 'kysely';

/**
 * A Kysely plugin that counts the statements run through it (`db.withPlugin(counter)`). Counted
 * as results come back, not as queries are built: a prepared query (core/db/prepared.ts) is
 * built once but its every run returns a result.
 */
export function statementCounter(): KyselyPlugin & { count: number } {
	const plugin: KyselyPlugin & { count: number } = {
		count: 0,
		transformQuery: (args) => args.node,
		transformResult: async (args) => {
			plugin.count++;
			return args.result;
		}
	};
	return plugin;
}

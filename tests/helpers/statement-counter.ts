import type { KyselyPlugin } from 'kysely';

/** A Kysely plugin that counts the statements run through it (`db.withPlugin(counter)`). */
export function statementCounter(): KyselyPlugin & { count: number } {
	const plugin: KyselyPlugin & { count: number } = {
		count: 0,
		transformQuery(args) {
			plugin.count++;
			return args.node;
		},
		transformResult: async (args) => args.result
	};
	return plugin;
}

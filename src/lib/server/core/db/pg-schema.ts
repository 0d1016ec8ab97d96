import {
	ColumnDefinitionNode,
	DataTypeNode,
	GeneratedNode,
	OperationNodeTransformer,
	type KyselyPlugin,
	type PluginTransformQueryArgs,
	type PluginTransformResultArgs,
	type QueryResult,
	type RootOperationNode,
	type UnknownRow
} from 'kysely';

/**
 * Used on PostgreSQL while migrating, so one set of migration files serves both databases. The
 * migrations speak SQLite's types; PostgreSQL gets: integer → bigint (timestamps are epoch ms),
 * real → double precision, and `integer primary key autoincrement` → a bigint identity.
 */
class PgColumnTypes extends OperationNodeTransformer {
	protected override transformColumnDefinition(node: ColumnDefinitionNode): ColumnDefinitionNode {
		const base = super.transformColumnDefinition(node);
		const type = DataTypeNode.is(base.dataType) ? base.dataType.dataType : null;
		const mapped = type === 'integer' ? 'bigint' : type === 'real' ? 'double precision' : null;
		if (!mapped) return base;
		return ColumnDefinitionNode.cloneWith(
			{ ...base, dataType: DataTypeNode.create(mapped) },
			base.autoIncrement
				? {
						autoIncrement: false,
						generated: GeneratedNode.create({ byDefault: true, identity: true })
					}
				: {}
		);
	}
}

export class PgSchemaPlugin implements KyselyPlugin {
	readonly #transformer = new PgColumnTypes();

	transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
		return this.#transformer.transformNode(args.node);
	}

	async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
		return args.result;
	}
}

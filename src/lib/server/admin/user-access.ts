import { ServiceError } from '../core/errors';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../core/db/types';

/**
 * Per-user listening access, as admins write it. `systems` and `talkgroups` are DATABASE ids
 * (`systems.id`, `talkgroups.id`, as `admin.systems.list` returns them), not radio numbers.
 * `accessAll` true hears everything; false hears exactly the granted systems and talkgroups.
 * calls/access.ts reads these rows and fails closed on anything it cannot make sense of.
 */
export interface AccessInput {
	accessAll: boolean;
	systems: number[];
	talkgroups: number[];
}

/** One user_access row: a whole system (talkgroupId null) or one talkgroup of that system. */
export interface GrantRow {
	systemId: number;
	talkgroupId: number | null;
}

type Q = Kysely<Database> | Transaction<Database>;

/** Checks every id exists and turns the input into rows; BAD_REQUEST names the field otherwise. */
export async function resolveGrants(
	db: Q,
	input: Pick<AccessInput, 'systems' | 'talkgroups'>
): Promise<GrantRow[]> {
	const systemIds = [...new Set(input.systems)];
	const talkgroupIds = [...new Set(input.talkgroups)];
	const rows: GrantRow[] = [];
	if (systemIds.length) {
		const found = new Set(
			(await db.selectFrom('systems').select('id').where('id', 'in', systemIds).execute()).map(
				(r) => r.id
			)
		);
		const missing = systemIds.filter((id) => !found.has(id));
		if (missing.length)
			throw new ServiceError(
				'BAD_REQUEST',
				`access.systems: no system with id ${missing.join(', ')}`
			);
		for (const id of systemIds) rows.push({ systemId: id, talkgroupId: null });
	}
	if (talkgroupIds.length) {
		const found = new Map(
			(
				await db
					.selectFrom('talkgroups')
					.select(['id', 'system_id'])
					.where('id', 'in', talkgroupIds)
					.execute()
			).map((r) => [r.id, r.system_id])
		);
		const missing = talkgroupIds.filter((id) => !found.has(id));
		if (missing.length)
			throw new ServiceError(
				'BAD_REQUEST',
				`access.talkgroups: no talkgroup with id ${missing.join(', ')}`
			);
		for (const id of talkgroupIds) rows.push({ systemId: found.get(id)!, talkgroupId: id });
	}
	return rows;
}

export async function replaceGrants(trx: Q, userId: number, rows: GrantRow[]): Promise<void> {
	await trx.deleteFrom('user_access').where('user_id', '=', userId).execute();
	if (rows.length) {
		await trx
			.insertInto('user_access')
			.values(
				rows.map((r) => ({ user_id: userId, system_id: r.systemId, talkgroup_id: r.talkgroupId }))
			)
			.execute();
	}
}

export async function grantsOf(db: Q, userId: number): Promise<GrantRow[]> {
	const rows = await db
		.selectFrom('user_access')
		.select(['system_id', 'talkgroup_id'])
		.where('user_id', '=', userId)
		.execute();
	return rows.map((r) => ({ systemId: r.system_id, talkgroupId: r.talkgroup_id }));
}

/** Grants of every user, for lists. */
export async function allGrants(
	db: Q
): Promise<Map<number, { systems: number[]; talkgroups: number[] }>> {
	const rows = await db
		.selectFrom('user_access')
		.select(['user_id', 'system_id', 'talkgroup_id'])
		.orderBy('user_id')
		.orderBy('system_id')
		.orderBy('talkgroup_id')
		.execute();
	const byUser = new Map<number, { systems: number[]; talkgroups: number[] }>();
	for (const r of rows) {
		let entry = byUser.get(r.user_id);
		if (!entry) byUser.set(r.user_id, (entry = { systems: [], talkgroups: [] }));
		if (r.talkgroup_id === null) entry.systems.push(r.system_id);
		else entry.talkgroups.push(r.talkgroup_id);
	}
	return byUser;
}

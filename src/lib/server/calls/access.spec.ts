import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { seedSystem } from '../admin/test-support';
import type { Viewer } from '../auth/access-token';
import { accessScope, accessScopes, audibleScope, canHear, NO_ACCESS } from './access';
import { statementCounter } from '../../../../tests/helpers/statement-counter';
import { testServices } from '../testing';
import { isPostgres } from '../core/db/dialect';
import type { DB } from '../core/db';

/**
 * Lets rows outlive their targets, as after a manual repair: SQLite turns foreign keys off;
 * PostgreSQL (no superuser to disable the checks) drops user_access's constraints.
 */
async function foreignKeysOff(db: DB): Promise<void> {
	if (!isPostgres(db)) return void (await sql`pragma foreign_keys = off`.execute(db));
	await sql`alter table user_access drop constraint user_access_system_id_fkey`.execute(db);
	await sql`alter table user_access drop constraint user_access_talkgroup_id_fkey`.execute(db);
}

async function setup() {
	const deps = await testServices();
	const fire = await seedSystem(deps.db, 1, 'Fire', [11, 12]);
	const police = await seedSystem(deps.db, 2, 'Police', [21]);
	const { id } = await deps.db
		.insertInto('users')
		.values({
			username: 'lis',
			password_hash: 'x',
			role: 'listener',
			access_all: 0,
			created_at: 0,
			updated_at: 0
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	const viewer: Viewer = {
		userId: id,
		username: 'lis',
		role: 'listener',
		sessionId: 's',
		tokenExpiresAt: 0
	};
	return { deps, db: deps.db, fire, police, viewer, userId: id };
}

describe('access scope (fails closed)', () => {
	it('a restricted user without grants hears nothing', async () => {
		const { db, fire, viewer } = await setup();
		const scope = await accessScope(db, viewer);
		expect(scope.all).toBe(false);
		expect(canHear(scope, fire.systemId, fire.talkgroupIds[0])).toBe(false);
	});

	it('a system grant covers its talkgroups only; a talkgroup grant covers that talkgroup only', async () => {
		const { db, fire, police, viewer, userId } = await setup();
		await db
			.insertInto('user_access')
			.values([
				{ user_id: userId, system_id: police.systemId, talkgroup_id: null },
				{ user_id: userId, system_id: fire.systemId, talkgroup_id: fire.talkgroupIds[1] }
			])
			.execute();
		const scope = await accessScope(db, viewer);
		expect(canHear(scope, police.systemId, police.talkgroupIds[0])).toBe(true);
		expect(canHear(scope, fire.systemId, fire.talkgroupIds[1])).toBe(true);
		expect(canHear(scope, fire.systemId, fire.talkgroupIds[0])).toBe(false);
	});

	it('a grant left pointing at a deleted talkgroup or system grants nothing', async () => {
		const { db, fire, viewer, userId } = await setup();
		// Simulate rows that outlived their target (foreign keys off, as after a manual repair).
		await foreignKeysOff(db);
		await db
			.insertInto('user_access')
			.values([
				{ user_id: userId, system_id: fire.systemId, talkgroup_id: 9999 },
				{ user_id: userId, system_id: 8888, talkgroup_id: null }
			])
			.execute();
		const scope = await accessScope(db, viewer);
		expect(scope).toEqual({ all: false, systemIds: new Set(), talkgroupIds: new Set() });
		// And a real delete cascades the grant away (on a fresh database where the keys are on).
		const fresh = await setup();
		await fresh.db
			.insertInto('user_access')
			.values({
				user_id: fresh.userId,
				system_id: fresh.fire.systemId,
				talkgroup_id: fresh.fire.talkgroupIds[0]
			})
			.execute();
		await fresh.db.deleteFrom('talkgroups').where('id', '=', fresh.fire.talkgroupIds[0]).execute();
		expect(
			canHear(
				await accessScope(fresh.db, fresh.viewer),
				fresh.fire.systemId,
				fresh.fire.talkgroupIds[0]
			)
		).toBe(false);
		expect(await fresh.db.selectFrom('user_access').selectAll().execute()).toEqual([]);
	});

	it('malformed rows grant nothing: text ids, a talkgroup filed under another system, a strange access_all', async () => {
		const { db, fire, police, viewer, userId } = await setup();
		await foreignKeysOff(db);
		const malformed = [
			sql`insert into user_access (user_id, system_id, talkgroup_id) values (${userId}, 'fire', null)`,
			sql`insert into user_access (user_id, system_id, talkgroup_id) values (${userId}, ${fire.systemId}, 'eleven')`,
			sql`update users set access_all = 'yes' where id = ${userId}`
		];
		for (const statement of malformed) {
			// SQLite stores whatever it is given; PostgreSQL's typed columns refuse it outright.
			if (isPostgres(db))
				await expect(statement.execute(db)).rejects.toThrow(/invalid input syntax/);
			else await statement.execute(db);
		}
		await db
			.insertInto('user_access')
			.values({ user_id: userId, system_id: police.systemId, talkgroup_id: fire.talkgroupIds[0] })
			.execute();
		const scope = await accessScope(db, viewer);
		expect(scope).toEqual({ all: false, systemIds: new Set(), talkgroupIds: new Set() });
		expect(canHear(scope, fire.systemId, fire.talkgroupIds[0])).toBe(false);
		expect(canHear(scope, police.systemId, police.talkgroupIds[0])).toBe(false);
	});

	it('a viewer whose user row is gone hears nothing; admins and access_all users hear everything', async () => {
		const { db, fire, viewer, userId } = await setup();
		expect((await accessScope(db, { ...viewer, userId: 4242 })).all).toBe(false);
		expect((await accessScope(db, { ...viewer, role: 'admin' })).all).toBe(true);
		await db.updateTable('users').set({ access_all: 1 }).where('id', '=', userId).execute();
		expect(canHear(await accessScope(db, viewer), fire.systemId, fire.talkgroupIds[0])).toBe(true);
	});
});

describe('accessScopes: many users at once (alert decisions)', () => {
	/** Three listeners with grants (each a different kind) and the rows accessScopes takes. */
	async function granted() {
		const { db, fire, police, userId } = await setup();
		const ids = [userId];
		for (const username of ['two', 'three']) {
			const { id } = await db
				.insertInto('users')
				.values({ username, password_hash: 'x', role: 'listener', created_at: 0, updated_at: 0 })
				.returning('id')
				.executeTakeFirstOrThrow();
			ids.push(id);
		}
		await db
			.insertInto('user_access')
			.values([
				{ user_id: ids[0], system_id: fire.systemId, talkgroup_id: null },
				{ user_id: ids[1], system_id: police.systemId, talkgroup_id: police.talkgroupIds[0] },
				{ user_id: ids[1], system_id: fire.systemId, talkgroup_id: fire.talkgroupIds[1] },
				{ user_id: ids[2], system_id: police.systemId, talkgroup_id: null }
			])
			.execute();
		const row = (id: number) => ({ id, role: 'listener', access_all: 0 });
		return { db, fire, police, ids, rows: ids.map(row), row };
	}

	it('reads the grants of more owners than either database binds in one statement', async () => {
		const { db, fire, police, ids, rows, row } = await granted();
		// Ids with no user row and no grant (accessScopes reads only user_access): 70,000 is past
		// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. The granted users come last.
		const nobody = Array.from({ length: 70_000 }, (_, i) => row(1_000_000 + i));
		const scopes = await accessScopes(db, [...nobody, ...rows, { ...row(5), role: 'admin' }]);
		expect(scopes.size).toBe(70_004);
		expect(scopes.get(1_000_000)).toEqual(NO_ACCESS);
		expect(scopes.get(1_069_999)).toEqual(NO_ACCESS);
		expect(scopes.get(ids[0])).toEqual({
			all: false,
			systemIds: new Set([fire.systemId]),
			talkgroupIds: new Set()
		});
		expect(scopes.get(ids[1])).toEqual({
			all: false,
			systemIds: new Set(),
			talkgroupIds: new Set([police.talkgroupIds[0], fire.talkgroupIds[1]])
		});
		expect(scopes.get(ids[2])).toEqual({
			all: false,
			systemIds: new Set([police.systemId]),
			talkgroupIds: new Set()
		});
		expect(scopes.get(5)).toEqual({ all: true });
	});

	it('merges small chunks into exactly the scopes of one read, one statement per chunk', async () => {
		const { db, ids, row } = await granted();
		// Granted users spread over the chunks, one of them split from its own grants' neighbours.
		const users = [row(900_001), row(ids[2]), row(900_002), row(ids[0]), row(ids[1])];
		const whole = await accessScopes(db, users);
		const counter = statementCounter();
		const chunked = await accessScopes(db.withPlugin(counter), users, 2);
		expect(counter.count).toBe(3);
		expect(chunked).toEqual(whole);
		expect([...chunked.keys()].sort()).toEqual([...ids, 900_001, 900_002].sort());
		expect(chunked.get(ids[2])).not.toEqual(NO_ACCESS);
	});
});

describe('audibleScope with the audio endpoint’s view', () => {
	it('keeps a listener’s grants in memory; access.changed applies them at once, anything else within 1 s', async () => {
		const { deps, db, fire, viewer, userId } = await setup();
		const hears = async () => {
			const scope = await audibleScope(deps, viewer, deps.scopeView);
			return canHear(scope, fire.systemId, fire.talkgroupIds[0]);
		};
		expect(await hears()).toBe(false);
		await db
			.insertInto('user_access')
			.values({ user_id: userId, system_id: fire.systemId, talkgroup_id: null })
			.execute();
		// Written with no event: the held scope stands until its bound has passed.
		expect(await hears()).toBe(false);
		deps.clock.advance(1000);
		expect(await hears()).toBe(true);

		await db.deleteFrom('user_access').execute();
		deps.bus.publish('access.changed', { userId });
		expect(await hears()).toBe(false);
		// Anonymous viewers are never held (public listening is read per request).
		expect((await audibleScope(deps, null, deps.scopeView)).all).toBe(true);
	});
});

import { beforeEach, describe, expect, it } from 'vitest';
import { codeOf, testServices, type TestServices } from '../testing';
import { seedCall, seedSystem } from './test-support';
import {
	createSystem,
	deleteSystem,
	deleteTalkgroup,
	exportTalkgroups,
	importTalkgroups,
	listSystems,
	updateSystem,
	updateTalkgroup,
	updateUnit
} from './systems';

const refreshes = (deps: TestServices) =>
	deps.published.filter(
		(p) =>
			p.topic === 'access.changed' &&
			p.payload &&
			(p.payload as { userId: unknown }).userId === null
	).length;

const FILE = [
	'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category,Priority',
	'200,0c8,Fire Disp,D,"Fire Dispatch, Main",Fire Dispatch,Fire,1',
	'100,064,"PD ""North""",DE,Police North,Law Dispatch,Police,',
	''
].join('\n');

describe('admin systems', () => {
	let deps: TestServices;
	beforeEach(async () => {
		deps = await testServices();
	});

	it('lists systems with their talkgroups, units and call counts, in sort order', async () => {
		const a = await seedSystem(deps.db, 5, 'Zeta', [2, 1]);
		const b = await seedSystem(deps.db, 3, 'Alpha', [9]);
		await deps.db
			.insertInto('units')
			.values({ system_id: a.systemId, unit_ref: 4242, alias: 'Engine 5', created_at: 0 })
			.execute();
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], 1000);
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], 2000);
		await updateSystem(deps, a.systemId, { sortOrder: -1 });
		const systems = await listSystems(deps.db);
		expect(systems.map((s) => s.label)).toEqual(['Zeta', 'Alpha']);
		expect(systems[0]).toMatchObject({
			systemRef: 5,
			callCount: 2,
			autoPopulate: true,
			units: [{ unitRef: 4242, alias: 'Engine 5' }]
		});
		expect(systems[0].talkgroups.map((t) => [t.talkgroupRef, t.callCount])).toEqual([
			[1, 0],
			[2, 2]
		]);
		expect(systems[1].id).toBe(b.systemId);
	});

	it('edits labels, order, auto-populate, talkgroups and unit aliases, announcing each change', async () => {
		const a = await seedSystem(deps.db, 5, 'County', [7]);
		const { id: unitId } = await deps.db
			.insertInto('units')
			.values({ system_id: a.systemId, unit_ref: 1, alias: '', created_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		await updateSystem(deps, a.systemId, { label: 'County P25', autoPopulate: false });
		await updateTalkgroup(deps, a.talkgroupIds[0], {
			label: 'FD',
			name: 'Fire Dispatch',
			group: 'Fire',
			tag: 'Fire Dispatch',
			sortOrder: 3,
			priority: 2,
			mode: 'D'
		});
		await updateUnit(deps, unitId, 'Medic 1');
		const [system] = await listSystems(deps.db);
		expect(system).toMatchObject({
			label: 'County P25',
			autoPopulate: false,
			units: [{ alias: 'Medic 1' }]
		});
		expect(system.talkgroups[0]).toMatchObject({
			label: 'FD',
			name: 'Fire Dispatch',
			group: 'Fire',
			tag: 'Fire Dispatch',
			sortOrder: 3,
			priority: 2,
			mode: 'D'
		});
		expect(refreshes(deps)).toBe(3);
		expect(await codeOf(updateTalkgroup(deps, 999, { label: 'x' }))).toBe('NOT_FOUND');
		expect(await codeOf(updateUnit(deps, 999, 'x'))).toBe('NOT_FOUND');
		expect(await codeOf(updateSystem(deps, 999, { label: 'x' }))).toBe('NOT_FOUND');
	});

	it('creates systems once per radio number', async () => {
		const id = await createSystem(deps, { systemRef: 42, label: 'New' });
		expect((await listSystems(deps.db))[0]).toMatchObject({ id, systemRef: 42, label: 'New' });
		expect(await codeOf(createSystem(deps, { systemRef: 42, label: 'Again' }))).toBe('CONFLICT');
	});

	it('refuses to delete a talkgroup or system that has calls, and deletes empty ones with their grants', async () => {
		const a = await seedSystem(deps.db, 1, 'A', [10, 11]);
		await seedCall(deps.db, a.systemId, a.talkgroupIds[0], 1000);
		const { id: userId } = await deps.db
			.insertInto('users')
			.values({ username: 'u', password_hash: 'x', role: 'listener', created_at: 0, updated_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		await deps.db
			.insertInto('user_access')
			.values({ user_id: userId, system_id: a.systemId, talkgroup_id: a.talkgroupIds[1] })
			.execute();

		await expect(deleteTalkgroup(deps, a.talkgroupIds[0])).rejects.toThrow(/still has 1 calls/);
		await expect(deleteSystem(deps, a.systemId)).rejects.toThrow(/still has 1 calls/);
		await deleteTalkgroup(deps, a.talkgroupIds[1]);
		expect(await deps.db.selectFrom('user_access').selectAll().execute()).toEqual([]);
		expect((await listSystems(deps.db))[0].talkgroups.map((t) => t.talkgroupRef)).toEqual([10]);

		const b = await seedSystem(deps.db, 2, 'B', [20]);
		await deleteSystem(deps, b.systemId);
		expect((await listSystems(deps.db)).map((s) => s.systemRef)).toEqual([1]);
		expect(await codeOf(deleteSystem(deps, b.systemId))).toBe('NOT_FOUND');
	});

	describe('talkgroup CSV', () => {
		it('imports into a system and exports the same file back', async () => {
			const id = await createSystem(deps, { systemRef: 9, label: 'Metro' });
			const result = await importTalkgroups(deps, id, FILE);
			expect(result).toEqual({ created: 2, updated: 0, unchanged: 0, ignoredColumns: [] });
			const [system] = await listSystems(deps.db);
			expect(
				system.talkgroups.map((t) => [
					t.talkgroupRef,
					t.label,
					t.name,
					t.group,
					t.tag,
					t.mode,
					t.priority
				])
			).toEqual([
				[200, 'Fire Disp', 'Fire Dispatch, Main', 'Fire', 'Fire Dispatch', 'D', 1],
				[100, 'PD "North"', 'Police North', 'Police', 'Law Dispatch', 'DE', null]
			]);
			expect(await exportTalkgroups(deps.db, id)).toEqual({
				filename: 'talkgroups-9.csv',
				csv: FILE
			});
			expect(await importTalkgroups(deps, id, FILE)).toMatchObject({
				created: 0,
				updated: 0,
				unchanged: 2
			});
		});

		it('merges: existing talkgroups keep the columns the file lacks, others stay', async () => {
			const a = await seedSystem(deps.db, 1, 'A', [100, 300]);
			await updateTalkgroup(deps, a.talkgroupIds[0], { tag: 'Kept tag', name: 'Old name' });
			const result = await importTalkgroups(
				deps,
				a.systemId,
				'Decimal,Alpha Tag,Description\n100,New label,New name\n400,Four,Fourth\n'
			);
			expect(result).toMatchObject({ created: 1, updated: 1 });
			const [system] = await listSystems(deps.db);
			const byRef = new Map(system.talkgroups.map((t) => [t.talkgroupRef, t]));
			expect(byRef.get(100)).toMatchObject({
				label: 'New label',
				name: 'New name',
				tag: 'Kept tag'
			});
			expect(byRef.get(300)).toMatchObject({ label: 'TG 300' });
			expect(byRef.get(400)).toMatchObject({
				label: 'Four',
				name: 'Fourth',
				tag: '',
				mode: '',
				priority: null
			});
		});

		it('is all or nothing: a bad row writes nothing and names the line', async () => {
			const id = await createSystem(deps, { systemRef: 9, label: 'Metro' });
			const before = deps.published.length;
			const err = await importTalkgroups(deps, id, 'Decimal,Alpha Tag\n1,One\nx,Bad\n').catch(
				(e) => e
			);
			expect(err).toMatchObject({
				code: 'BAD_REQUEST',
				message: 'csv: line 3: Decimal "x" is not a talkgroup number'
			});
			expect((await listSystems(deps.db))[0].talkgroups).toEqual([]);
			expect(deps.published.length).toBe(before);
			expect(await codeOf(importTalkgroups(deps, 999, FILE))).toBe('NOT_FOUND');
			expect(await codeOf(exportTalkgroups(deps.db, 999))).toBe('NOT_FOUND');
		});
	});
});

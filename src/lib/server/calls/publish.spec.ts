import { describe, expect, it } from 'vitest';
import { createTestDeps, seedCall, seedSystem } from '../admin/test-support';
import { audienceOf, dueAt, nextDue, publishDue } from './publish';

describe('dueAt', () => {
	const minute = 60_000;
	it('counts the delay from when the call was recorded', () => {
		expect(dueAt(1_000_000, 1_000_500, 2)).toBe(1_000_000 + 2 * minute);
		// A late upload is due sooner (possibly at once).
		expect(dueAt(1_000_000, 1_000_000 + 5 * minute, 2)).toBe(1_000_000 + 2 * minute);
	});
	it('never later than arrival + delay, whatever the recorder’s clock says', () => {
		expect(dueAt(9_000_000, 1_000_000, 2)).toBe(1_000_000 + 2 * minute);
	});
	it('no delay: due when recorded', () => {
		expect(dueAt(1_000, 2_000, 0)).toBe(1_000);
	});
});

describe('publishDue', () => {
	it('publishes ready calls that are due, once, in due order; skips calls still encoding', async () => {
		const deps = await createTestDeps();
		const sys = await seedSystem(deps.db, 1, 'County', [100]);
		const ids: number[] = [];
		for (let i = 0; i < 3; i++)
			ids.push(await seedCall(deps.db, sys.systemId, sys.talkgroupIds[0], i));
		const [late, early, encoding] = ids;
		// Ready (exempt audience only so far) and waiting for their public publication.
		await deps.db.deleteFrom('call_publications').execute();
		await deps.db.updateTable('calls').set({ public_at: null }).execute();
		await deps.db.updateTable('calls').set({ due_at: 3_000 }).where('id', '=', late).execute();
		await deps.db.updateTable('calls').set({ due_at: 1_000 }).where('id', '=', early).execute();
		await deps.db
			.updateTable('calls')
			.set({ due_at: 2_000, ready_at: null })
			.where('id', '=', encoding)
			.execute();
		expect(await nextDue(deps.db)).toBe(1_000);
		expect(await publishDue(deps.db, 999)).toBe(0);
		expect(await publishDue(deps.db, 2_500)).toBe(1);
		expect(await nextDue(deps.db)).toBe(3_000);
		expect(await publishDue(deps.db, 2_500)).toBe(0);
		expect(await publishDue(deps.db, 3_000)).toBe(1);
		const rows = await deps.db
			.selectFrom('call_publications')
			.select(['call_id', 'audience'])
			.where('audience', '=', 'public')
			.orderBy('seq')
			.execute();
		expect(rows).toEqual([
			{ call_id: early, audience: 'public' },
			{ call_id: late, audience: 'public' }
		]);
		expect(await nextDue(deps.db)).toBeNull();
	});
});

describe('audienceOf', () => {
	it('admins and exempt users hear delayed calls at once; others and anonymous listeners do not', async () => {
		const deps = await createTestDeps();
		const now = deps.clock.now();
		const user = await deps.db
			.insertInto('users')
			.values({
				username: 'u',
				password_hash: 'x',
				role: 'listener',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		const viewer = (role: 'admin' | 'listener') => ({ userId: user.id, role, sessionId: 's' });
		expect(await audienceOf(deps.db, null)).toBe('public');
		expect(await audienceOf(deps.db, viewer('listener') as never)).toBe('public');
		expect(await audienceOf(deps.db, viewer('admin') as never)).toBe('exempt');
		await deps.db.updateTable('users').set({ delay_exempt: 1 }).execute();
		expect(await audienceOf(deps.db, viewer('listener') as never)).toBe('exempt');
	});
});

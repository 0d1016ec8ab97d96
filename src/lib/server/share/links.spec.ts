import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../core/bus';
import { ServiceError } from '../core/errors';
import { updateSettings } from '../core/settings';
import type { Viewer } from '../auth/access-token';
import { storeCall } from '../calls/ingest';
import { pruneOldCalls } from '../calls/retention';
import { incomingCall } from '../calls/test-support';
import { testServices } from '../testing';
import { createShare, listShares, revokeShare } from './links';
import { openShare, sharedAudioRow } from './public';

const DAY = 86_400_000;

async function setup() {
	const deps = {
		...(await testServices({}, { now: Date.UTC(2024, 5, 15, 12) })),
		bus: new InProcessBus()
	};
	const users = [];
	for (const [username, role] of [
		['owner', 'listener'],
		['other', 'listener'],
		['boss', 'admin']
	] as const) {
		const row = await deps.db
			.insertInto('users')
			.values({
				username,
				password_hash: 'x',
				role,
				access_all: 1,
				expires_at: null,
				created_at: 0,
				updated_at: 0
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		users.push({ userId: row.id, role, sessionId: 's' } as unknown as Viewer);
	}
	const now = deps.clock.now();
	const ids: number[] = [];
	for (let i = 0; i < 5; i++) {
		const stored = await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, { dateTime: now - 10 * DAY + i * 60_000 }),
			0
		);
		if (stored.status !== 'stored') throw new Error('not stored');
		ids.push(stored.callId);
	}
	return { deps, owner: users[0], other: users[1], admin: users[2], ids, now };
}

const code = async (p: Promise<unknown>) =>
	p.then(
		() => 'OK',
		(e) => (e instanceof ServiceError ? e.code : String(e))
	);

describe('share links', () => {
	it('fixes the incident calls at creation, oldest first, and counts views', async () => {
		const { deps, owner, ids, now } = await setup();
		const made = await createShare(
			deps,
			owner,
			{
				systems: [1],
				talkgroups: [100],
				from: new Date(now - 10 * DAY + 60_000),
				to: new Date(now - 10 * DAY + 3 * 60_000)
			},
			3600
		);
		expect(made.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
		const opened = await openShare(deps, made.token, { countView: true });
		expect(opened.status).toBe(200);
		if (opened.status !== 200) return;
		expect(opened.view.calls.map((c) => c.id)).toEqual(ids.slice(1, 4));
		expect((await listShares(deps, owner.userId))[0]).toMatchObject({ views: 1, calls: 3 });
		// Calls outside the link are never served through it.
		expect(await sharedAudioRow(deps, made.token, String(ids[0]))).toBeUndefined();
		expect(await sharedAudioRow(deps, made.token, String(ids[4]))).toBeUndefined();
		expect(await sharedAudioRow(deps, made.token, String(ids[1]))).toMatchObject({ id: ids[1] });
	});

	it('expires (410), revokes (404), and only the owner or an admin may revoke', async () => {
		const { deps, owner, other, admin, ids } = await setup();
		const { token } = await createShare(deps, owner, { callId: ids[0] }, 3600);
		deps.clock.advance(3600_000);
		expect(await openShare(deps, token, { countView: false })).toEqual({
			status: 410,
			reason: 'expired'
		});
		const second = await createShare(deps, owner, { callId: ids[0] }, null);
		expect(await code(revokeShare(deps, other, second.token))).toBe('NOT_FOUND');
		await revokeShare(deps, admin, second.token);
		expect(await openShare(deps, second.token, { countView: false })).toEqual({
			status: 404,
			reason: 'revoked'
		});
		expect(await openShare(deps, 'A'.repeat(22), { countView: false })).toMatchObject({
			status: 404
		});
	});

	it('refuses calls the creator may not hear, oversized incidents, and expiry over the cap', async () => {
		const { deps, owner, ids, now } = await setup();
		await deps.db
			.updateTable('users')
			.set({ access_all: 0 })
			.where('id', '=', owner.userId)
			.execute();
		expect(await code(createShare(deps, owner, { callId: ids[0] }, 60))).toBe('NOT_FOUND');
		const range = { systems: [1], talkgroups: [100], from: new Date(0), to: new Date(now) };
		expect(await code(createShare(deps, owner, range, 60))).toBe('FORBIDDEN');
		await deps.db
			.updateTable('users')
			.set({ access_all: 1 })
			.where('id', '=', owner.userId)
			.execute();
		await updateSettings(deps, { shareMaxCalls: 4, shareMaxExpirySec: 3600 });
		expect(await code(createShare(deps, owner, range, 60))).toBe('BAD_REQUEST');
		expect(await code(createShare(deps, owner, { callId: ids[0] }, null))).toBe('BAD_REQUEST');
		expect(await code(createShare(deps, owner, { callId: ids[0] }, 7200))).toBe('BAD_REQUEST');
		await updateSettings(deps, { shareEnabled: false });
		expect(await code(createShare(deps, owner, { callId: ids[0] }, 60))).toBe('FORBIDDEN');
	});

	it('keeps shared calls past retention while the link is live', async () => {
		const { deps, owner, ids } = await setup();
		const { token } = await createShare(deps, owner, { callId: ids[2] }, 30 * 86_400);
		await updateSettings(deps, { retentionDays: 7 });
		expect(await pruneOldCalls(deps)).toEqual({ deleted: 4 });
		const left = await deps.db.selectFrom('calls').select('id').execute();
		expect(left.map((r) => r.id)).toEqual([ids[2]]);
		await revokeShare(deps, owner, token);
		expect(await pruneOldCalls(deps)).toEqual({ deleted: 1 });
	});
});

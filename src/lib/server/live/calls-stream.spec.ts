import { beforeEach, describe, expect, it } from 'vitest';
import { opened, testServices, type TestServices } from '../testing';
import { createUser, setUserAccess } from '../admin/users';
import { updateSettings } from '../core/settings';
import { ServiceError } from '../core/errors';
import type { Viewer } from '../auth/access-token';
import { insertCall } from '../../../../tests/helpers/calls';
import { openCallStream, type CallStream, type HearingView } from './calls-stream';

let deps: TestServices;
/** Every stream a test opened: ingest() waits for their access re-reads. */
const open: CallStream[] = [];
beforeEach(async () => {
	open.length = 0;
	deps = await testServices();
});

const viewerOf = (userId: number, role: Viewer['role'] = 'listener'): Viewer => ({
	userId,
	username: `u${userId}`,
	role,
	sessionId: `s${userId}`,
	tokenExpiresAt: Date.now() + 60_000
});

/** A stream that records what it got and how it ended. */
async function listen(viewer: Viewer | null) {
	const state = { ids: [] as number[], ended: null as unknown };
	const stream = await openCallStream(deps, viewer, {
		lastEventId: null,
		presenceKey: viewer ? `session:${viewer.sessionId}` : `socket:${Math.random()}`,
		deliver: (c) => state.ids.push(c.id),
		onEnd: (error) => (state.ended = error)
	});
	open.push(stream);
	return Object.assign(state, { close: () => stream.close() });
}

/**
 * Stores a call and lets the feed hand it to every stream (synchronously, in one pass), once the
 * streams have applied the access re-reads a change started (they hold calls meanwhile; on
 * PostgreSQL the re-read may finish after the feed's read).
 */
async function ingest(systemRef: number, talkgroupRef = 100): Promise<number> {
	const id = await insertCall(deps.db, { systemRef, talkgroupRef });
	deps.bus.publish('call.ingested', { callId: id });
	await deps.feeds.calls.settled();
	await Promise.all(open.map((stream) => stream.settled()));
	return id;
}

describe('live.calls re-reads access while open', () => {
	it('public listening turned off ends anonymous streams UNAUTHORIZED; nothing more reaches them', async () => {
		const adminId = await createUser(deps, 0, {
			username: 'root',
			password: 'password-1',
			role: 'admin'
		});
		await updateSettings(deps, { publicListening: true });
		const anonymous = await listen(null);
		const witness = await listen(viewerOf(adminId, 'admin'));
		const heard = await ingest(1);
		expect(anonymous.ids).toEqual([heard]);

		await updateSettings(deps, { publicListening: false });
		const after = await ingest(1);
		expect(witness.ids).toEqual([heard, after]);
		expect(anonymous.ids).toEqual([heard]);
		expect(anonymous.ended).toBeInstanceOf(ServiceError);
		expect(anonymous.ended).toMatchObject({
			code: 'UNAUTHORIZED',
			message: 'public listening is off: sign in to listen'
		});
		expect(deps.presence.count()).toBe(1);
		await expect(listen(null)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
	});

	it('a grant taken away stops that system at once; the rest keep coming on the same stream', async () => {
		await ingest(1);
		await ingest(2);
		const systems = await deps.db.selectFrom('systems').select(['id', 'system_ref']).execute();
		const idOf = (ref: number) => systems.find((s) => s.system_ref === ref)!.id;
		const userId = await createUser(deps, 0, {
			username: 'lis',
			password: 'password-1',
			role: 'listener',
			access: { systems: [idOf(1), idOf(2)], talkgroups: [] }
		});
		const stream = await listen(viewerOf(userId));
		const both = [await ingest(1), await ingest(2)];
		expect(stream.ids).toEqual(both);

		await setUserAccess(deps, 0, userId, { accessAll: false, systems: [idOf(2)], talkgroups: [] });
		// Stored the moment the change returns: judged by the new access, never the old.
		const gone = await ingest(1);
		const kept = await ingest(2);
		expect(stream.ids).toEqual([...both, kept]);
		expect(stream.ids).not.toContain(gone);
		expect(stream.ended).toBeNull();

		// Widening applies at once too.
		await setUserAccess(deps, 0, userId, { accessAll: true, systems: [], talkgroups: [] });
		const back = await ingest(1);
		expect(stream.ids).toEqual([...both, kept, back]);
	});

	it('an account disabled behind the stream’s back ends it UNAUTHORIZED at the next access change', async () => {
		const userId = await createUser(deps, 0, {
			username: 'lis',
			password: 'password-1',
			role: 'listener'
		});
		const stream = await listen(viewerOf(userId));
		await deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', userId).execute();
		deps.bus.publish('access.changed', { userId: null });
		await ingest(1);
		expect(stream.ids).toEqual([]);
		expect(stream.ended).toMatchObject({
			code: 'UNAUTHORIZED',
			message: 'this account may no longer listen'
		});
	});

	it('a change announced while the stream’s first read of access is in flight is applied once it is open', async () => {
		const userId = await createUser(deps, 0, {
			username: 'lis',
			password: 'password-1',
			role: 'listener'
		});
		// The real view, held after its read has answered (may listen) and before the stream has it.
		const view = deps.hearingView;
		const answered = opened();
		const release = opened();
		const held: HearingView = Object.create(view);
		held.through = async (...args: Parameters<HearingView['through']>) => {
			const answer = await view.through(...args);
			answered.open();
			await release.promise;
			return answer;
		};
		const state = { ended: null as unknown };
		const opening = openCallStream({ ...deps, hearingView: held }, viewerOf(userId), {
			lastEventId: null,
			presenceKey: 'session:s',
			deliver: () => {},
			onEnd: (error) => (state.ended = error)
		});
		await answered.promise;
		await deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', userId).execute();
		deps.bus.publish('access.changed', { userId });
		release.open();
		const stream = await opening;
		await stream.settled();
		expect(state.ended).toMatchObject({
			code: 'UNAUTHORIZED',
			message: 'this account may no longer listen'
		});
		expect(deps.presence.count()).toBe(0);
	});
});

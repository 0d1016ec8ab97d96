import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { createTestDb, type DB } from '../core/db';
import { InProcessBus } from '../core/bus';
import { Presence } from '../live/presence';
import { createLiveFeeds } from '../live/feeds';
import { openCallStream } from '../live/calls-stream';
import type { Viewer } from '../auth/access-token';
import type { Call } from '../calls/dto';
import { insertCall } from '../../../../tests/helpers/calls';
import { getMuted, MAX_MUTED, mutedSet, setMuted } from './selection';
import { insertUserRow } from '../../../../tests/helpers/users';

let db: DB;
let bus: InProcessBus;
let clock: ManualClock;
let published: Array<{ userId: number | null }>;

const addUser = (username: string): Promise<number> => insertUserRow(db, username);

const viewerOf = (userId: number): Viewer => ({
	userId,
	username: 'u',
	role: 'listener',
	sessionId: `s${userId}`,
	tokenExpiresAt: Date.now() + 60_000
});

beforeEach(async () => {
	db = await createTestDb();
	bus = new InProcessBus();
	clock = new ManualClock(Date.now());
	published = [];
	bus.subscribe('access.changed', (p) => published.push(p));
});

describe('scanner selection', () => {
	it('stores what each user turned off, replaces it whole, and announces the change for that user', async () => {
		const ana = await addUser('ana');
		const ben = await addUser('ben');
		await setMuted({ db, clock, bus }, ana, [
			{ system: 1, talkgroup: 200 },
			{ system: 1, talkgroup: 100 },
			{ system: 1, talkgroup: 100 }
		]);
		expect(await getMuted(db, ana)).toEqual([
			{ system: 1, talkgroup: 100 },
			{ system: 1, talkgroup: 200 }
		]);
		expect(await getMuted(db, ben)).toEqual([]);
		expect(published).toEqual([{ userId: ana }]);

		await setMuted({ db, clock, bus }, ana, [{ system: 2, talkgroup: 5 }]);
		expect([...(await mutedSet(db, ana))]).toEqual(['2:5']);
	});

	it('refuses an oversized selection and keeps the old one', async () => {
		const ana = await addUser('ana');
		await setMuted({ db, clock, bus }, ana, [{ system: 1, talkgroup: 1 }]);
		const tooMany = Array.from({ length: MAX_MUTED + 1 }, (_, i) => ({
			system: 1,
			talkgroup: i + 1
		}));
		await expect(setMuted({ db, clock, bus }, ana, tooMany)).rejects.toThrow(/muted/);
		expect(await getMuted(db, ana)).toEqual([{ system: 1, talkgroup: 1 }]);
		expect(published).toHaveLength(1);
	});

	it('the live stream leaves out turned-off talkgroups, live and on resume, for that user only', async () => {
		const ana = await addUser('ana');
		const ben = await addUser('ben');
		const first = await insertCall(db, { systemRef: 1, talkgroupRef: 100 });
		await setMuted({ db, clock, bus }, ana, [{ system: 1, talkgroup: 200 }]);
		// Missed while away: one heard, one muted.
		const missedMuted = await insertCall(db, { systemRef: 1, talkgroupRef: 200 });
		const missedHeard = await insertCall(db, { systemRef: 1, talkgroupRef: 100 });

		const collect = async (userId: number, want: number) => {
			const got: Call[] = [];
			let resolve!: () => void;
			const done = new Promise<void>((r) => (resolve = r));
			const stream = await openCallStream(
				{ db, clock, bus, presence: new Presence(), feeds: createLiveFeeds({ db, bus }) },
				viewerOf(userId),
				{
					lastEventId: first,
					presenceKey: `k${userId}`,
					onEnd: () => {},
					deliver: (c) => {
						got.push(c.call);
						if (got.length === want) resolve();
					}
				}
			);
			return { got, done: done.then(() => stream.close()) };
		};
		const anaStream = await collect(ana, 3);
		const benStream = await collect(ben, 5);
		const liveMuted = await insertCall(db, { systemRef: 1, talkgroupRef: 200 });
		bus.publish('call.ingested', { callId: liveMuted });
		const liveHeard = await insertCall(db, { systemRef: 1, talkgroupRef: 101 });
		bus.publish('call.ingested', { callId: liveHeard });
		const alsoHeard = await insertCall(db, { systemRef: 2, talkgroupRef: 200 });
		bus.publish('call.ingested', { callId: alsoHeard });
		await Promise.race([
			Promise.all([anaStream.done, benStream.done]),
			new Promise((_, no) => setTimeout(() => no(new Error('timed out')), 5000))
		]);

		expect(anaStream.got.map((c) => c.id)).toEqual([missedHeard, liveHeard, alsoHeard]);
		expect(benStream.got.map((c) => c.id)).toEqual([
			missedMuted,
			missedHeard,
			liveMuted,
			liveHeard,
			alsoHeard
		]);
	});

	it('two devices saving at once leave one of the two lists, never an error', async () => {
		const ana = await addUser('ana');
		const lists = [
			[
				{ system: 1, talkgroup: 1 },
				{ system: 1, talkgroup: 2 }
			],
			[
				{ system: 1, talkgroup: 2 },
				{ system: 2, talkgroup: 3 }
			]
		];
		await Promise.all([
			setMuted({ db, clock, bus }, ana, lists[0]),
			setMuted({ db, clock, bus }, ana, lists[1]),
			setMuted({ db, clock, bus }, ana, lists[0])
		]);
		const muted = await getMuted(db, ana);
		expect(lists).toContainEqual(muted);
	});
});

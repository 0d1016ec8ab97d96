import { ManualClock } from '../core/clock';
import { createTestDb, type DB } from '../core/db';
import { InProcessBus, type BusTopics, type Topic } from '../core/bus';
import type { SessionDeps } from '../auth/sessions';

/**
 * For unit specs only: the deps the admin services take, over a migrated in-memory database, a
 * manual clock and a bus that remembers what was published.
 */
export interface TestDeps extends SessionDeps {
	db: DB;
	clock: ManualClock;
	bus: InProcessBus;
	published: Array<{ topic: Topic; payload: BusTopics[Topic] }>;
}

export async function createTestDeps(opts: { maxSessions?: number } = {}): Promise<TestDeps> {
	const db = await createTestDb();
	const bus = new InProcessBus();
	const published: TestDeps['published'] = [];
	const publish = bus.publish.bind(bus);
	bus.publish = (topic, payload) => {
		published.push({ topic, payload });
		publish(topic, payload);
	};
	return {
		db,
		clock: new ManualClock(),
		bus,
		published,
		keys: { refresh: Buffer.alloc(32, 7) },
		config: { refreshTtlSec: 30 * 86_400, refreshGraceSec: 30, maxSessions: opts.maxSessions ?? 20 }
	};
}

/** A system with talkgroups, straight into the tables (ingest is another module's job). */
export async function seedSystem(
	db: DB,
	systemRef: number,
	label: string,
	talkgroupRefs: number[],
	now = Date.UTC(2026, 0, 1)
): Promise<{ systemId: number; talkgroupIds: number[] }> {
	const { id: systemId } = await db
		.insertInto('systems')
		.values({ system_ref: systemRef, label, created_at: now })
		.returning('id')
		.executeTakeFirstOrThrow();
	const talkgroupIds: number[] = [];
	for (const ref of talkgroupRefs) {
		const { id } = await db
			.insertInto('talkgroups')
			.values({
				system_id: systemId,
				talkgroup_ref: ref,
				label: `TG ${ref}`,
				name: '',
				group_name: '',
				tag: '',
				created_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		talkgroupIds.push(id);
	}
	return { systemId, talkgroupIds };
}

/** A call row with a given time and size (no audio file: these specs never read audio). */
export async function seedCall(
	db: DB,
	systemId: number,
	talkgroupId: number,
	dateTime: number,
	audioSize = 1000
): Promise<number> {
	const { id } = await db
		.insertInto('calls')
		.values({
			system_id: systemId,
			talkgroup_id: talkgroupId,
			date_time: dateTime,
			frequency: null,
			duration: 1,
			audio_path: `test/${dateTime}.wav`,
			audio_type: 'audio/wav',
			audio_size: audioSize,
			audio_name: 'test.wav',
			source: null,
			frequencies: '[]',
			sources: '[]',
			patches: '[]',
			api_key_id: null,
			created_at: dateTime,
			ready_at: dateTime,
			due_at: dateTime,
			public_at: dateTime
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	await db
		.insertInto('call_publications')
		.values({ call_id: id, audience: 'all', published_at: dateTime })
		.execute();
	return id;
}

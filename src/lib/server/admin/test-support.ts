import type { DB } from '../core/db';

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

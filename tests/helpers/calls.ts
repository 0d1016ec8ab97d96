import type { DB } from '../../src/lib/server/core/db';

/**
 * Test data: stores a call row (and its system and talkgroup, when new) the way ingest does,
 * without audio. The server learns of it only when something publishes `call.ingested`.
 */
export interface TestCall {
	systemRef?: number;
	talkgroupRef?: number;
	dateTime?: number;
	/** Adds this many bytes of frequency entries, to make calls heavy on the wire. */
	padBytes?: number;
}

export async function insertCall(db: DB, call: TestCall = {}): Promise<number> {
	const now = Date.now();
	const systemRef = call.systemRef ?? 1;
	const talkgroupRef = call.talkgroupRef ?? 100;
	let system = await db
		.selectFrom('systems')
		.select('id')
		.where('system_ref', '=', systemRef)
		.executeTakeFirst();
	system ??= await db
		.insertInto('systems')
		.values({ system_ref: systemRef, label: `System ${systemRef}`, created_at: now })
		.returning('id')
		.executeTakeFirstOrThrow();
	let talkgroup = await db
		.selectFrom('talkgroups')
		.select('id')
		.where('system_id', '=', system.id)
		.where('talkgroup_ref', '=', talkgroupRef)
		.executeTakeFirst();
	talkgroup ??= await db
		.insertInto('talkgroups')
		.values({
			system_id: system.id,
			talkgroup_ref: talkgroupRef,
			label: `TG ${talkgroupRef}`,
			name: `Talkgroup ${talkgroupRef}`,
			group_name: 'Test',
			tag: 'Test',
			created_at: now
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	const frequencies = call.padBytes
		? Array.from({ length: Math.ceil(call.padBytes / 80) }, (_, i) => ({
				freq: 851_012_500,
				time: i,
				pos: i,
				len: 1.5,
				errorCount: 0,
				spikeCount: 0
			}))
		: [];
	const row = await db
		.insertInto('calls')
		.values({
			system_id: system.id,
			talkgroup_id: talkgroup.id,
			date_time: call.dateTime ?? now,
			frequency: 851_012_500,
			duration: 2.5,
			audio_path: 'test/none.m4a',
			audio_type: 'audio/mp4',
			audio_size: 0,
			audio_name: 'none.m4a',
			source: null,
			frequencies: JSON.stringify(frequencies),
			sources: '[]',
			patches: '[]',
			api_key_id: null,
			created_at: now,
			ready_at: now,
			due_at: now,
			public_at: now
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	// Published to everyone, as a call with final audio and no broadcast delay is.
	await db
		.insertInto('call_publications')
		.values({ call_id: row.id, audience: 'all', published_at: now })
		.execute();
	return row.id;
}

import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { inSharedTransaction } from '../core/db/shared-transaction';
import type { AudioType } from './audio-type';
import type { FrequencyEntry, SourceEntry } from './fields';
import { absoluteAudioPath, moveIntoPlace, storedPathFor } from './storage';
import type { Transaction } from 'kysely';
import type { Database } from '../core/db/types';
import { lockFeed } from '../core/db/feed-lock';
import { dueAt, insertPublication, readyOnArrival } from './publish';
import { duplicateOf, insertCall, systemByRef, talkgroupByRef, unitByRef } from './ingest-queries';

export interface IngestDeps {
	db: DB;
	clock: Clock;
	config: { recordingsDir: string };
	/** Tests only: holds an upload at a point of its transaction, to race it deterministically. */
	ingestHooks?: IngestHooks;
}

export interface IngestHooks {
	/** Inside the transaction: the system and talkgroup are resolved, no call row written yet. */
	resolved?(): Promise<void>;
}

/**
 * The lock an upload holds for its whole transaction (PostgreSQL; SQLite runs transactions one
 * at a time). Deleting the system or one of its talkgroups takes it too (admin/systems.ts), so an
 * upload that has resolved them commits its call before the delete looks for calls.
 */
export function ingestLock(systemRef: number): string {
	return `ingest.system:${systemRef}`;
}

/** A validated upload, ready to store. */
export interface IncomingCall {
	systemRef: number;
	systemLabel: string;
	talkgroupRef: number;
	talkgroupLabel: string;
	talkgroupName: string;
	talkgroupGroup: string;
	talkgroupTag: string;
	dateTime: number;
	frequency: number | null;
	duration: number;
	audio: { tmpPath: string; fileId: string; size: number; type: AudioType; name: string };
	/** The first unit heard. */
	source: number | null;
	sources: SourceEntry[];
	/** Units heard with the alias the recorder knows them by ('' when none). */
	units: Array<{ ref: number; alias: string }>;
	frequencies: FrequencyEntry[];
	patches: number[];
	/** The recorder flagged the call as an emergency. */
	emergency?: boolean;
	apiKeyId: number | null;
}

export type StoreResult =
	| {
			status: 'stored';
			callId: number;
			systemId: number;
			talkgroupId: number;
			/** Published now (no encode pending); `delayed` when held back from non-exempt listeners. */
			published: boolean;
			delayed: boolean;
	  }
	| { status: 'duplicate' }
	| { status: 'unknown-talkgroup' };

/**
 * Stores a call: radio metadata upserted (created on first sight when the system auto-populates;
 * later labels only fill blanks, so an admin's edits stay), duplicate check, row insert — all in
 * one transaction — then the temp file is moved to its final place. See storage.ts for why this
 * order leaves no orphan on any failure. The caller removes the temp file on every other outcome.
 * With `encode`, the same transaction queues the audio pipeline's job and the call is published
 * when that job ends; otherwise it is published here (publish.ts).
 */
export async function storeCall(
	deps: IngestDeps,
	call: IncomingCall,
	duplicateWindowMs: number,
	encode = false
): Promise<StoreResult> {
	const now = deps.clock.now();
	const audioPath = storedPathFor(call.dateTime, call.audio.fileId, call.audio.type.ext);
	// One upload per system at a time (PostgreSQL; SQLite already runs them in turn): a new
	// system, talkgroup or unit is created once, and a call uploaded twice at once is caught by
	// the duplicate check. Uploads arriving together share one transaction (one commit).
	const result = await inSharedTransaction(deps.db, ingestLock(call.systemRef), (trx) =>
		storeRow(trx, call, { now, audioPath, duplicateWindowMs, encode, hooks: deps.ingestHooks })
	);

	if (result.status !== 'stored') return result;
	try {
		const target = absoluteAudioPath(deps.config.recordingsDir, audioPath);
		if (!target) throw new Error(`bad audio path ${audioPath}`);
		await moveIntoPlace(call.audio.tmpPath, target);
	} catch (err) {
		// The file could not be placed: take the row back so nothing points at a missing file.
		await deps.db.deleteFrom('calls').where('id', '=', result.callId).execute();
		throw err;
	}
	return result;
}

/** A unit heard on the call: created on first sight when the system auto-populates; a blank alias filled. */
async function upsertUnit(
	trx: Transaction<Database>,
	systemId: number,
	unit: { ref: number; alias: string },
	autoPopulate: boolean,
	now: number
): Promise<void> {
	const existing = await unitByRef.executeTakeFirst(trx, { systemId, unitRef: unit.ref });
	if (!existing) {
		if (autoPopulate)
			await trx
				.insertInto('units')
				.values({ system_id: systemId, unit_ref: unit.ref, alias: unit.alias, created_at: now })
				.execute();
	} else if (!existing.alias && unit.alias) {
		await trx
			.updateTable('units')
			.set({ alias: unit.alias })
			.where('id', '=', existing.id)
			.execute();
	}
}

/** The call's rows, inside the (shared) transaction; writes only through `trx`. */
async function storeRow(
	trx: Transaction<Database>,
	call: IncomingCall,
	{
		now,
		audioPath,
		duplicateWindowMs,
		encode,
		hooks
	}: {
		now: number;
		audioPath: string;
		duplicateWindowMs: number;
		encode: boolean;
		hooks?: IngestHooks;
	}
): Promise<StoreResult> {
	let system = await systemByRef.executeTakeFirst(trx, { systemRef: call.systemRef });
	if (!system) {
		system = await trx
			.insertInto('systems')
			.values({ system_ref: call.systemRef, label: call.systemLabel, created_at: now })
			.returning(['id', 'label', 'auto_populate', 'delay_minutes'])
			.executeTakeFirstOrThrow();
	} else if (!system.label && call.systemLabel) {
		await trx
			.updateTable('systems')
			.set({ label: call.systemLabel })
			.where('id', '=', system.id)
			.execute();
	}
	const systemId = system.id;
	const autoPopulate = system.auto_populate === 1;

	const talkgroup = await talkgroupByRef.executeTakeFirst(trx, {
		systemId,
		talkgroupRef: call.talkgroupRef
	});
	let talkgroupId: number;
	const delayMinutes = Math.max(system.delay_minutes, talkgroup?.delay_minutes ?? 0);
	if (!talkgroup) {
		if (!autoPopulate) return { status: 'unknown-talkgroup' };
		const inserted = await trx
			.insertInto('talkgroups')
			.values({
				system_id: systemId,
				talkgroup_ref: call.talkgroupRef,
				label: call.talkgroupLabel,
				name: call.talkgroupName,
				group_name: call.talkgroupGroup,
				tag: call.talkgroupTag,
				created_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		talkgroupId = inserted.id;
	} else {
		talkgroupId = talkgroup.id;
		const fill: Record<string, string> = {};
		if (!talkgroup.label && call.talkgroupLabel) fill.label = call.talkgroupLabel;
		if (!talkgroup.name && call.talkgroupName) fill.name = call.talkgroupName;
		if (!talkgroup.group_name && call.talkgroupGroup) fill.group_name = call.talkgroupGroup;
		if (!talkgroup.tag && call.talkgroupTag) fill.tag = call.talkgroupTag;
		if (Object.keys(fill).length)
			await trx.updateTable('talkgroups').set(fill).where('id', '=', talkgroupId).execute();
	}
	// No await without a hook: an upload pays no extra turn for a test seam.
	if (hooks?.resolved) await hooks.resolved();

	const duplicate = await duplicateOf.executeTakeFirst(trx, {
		systemId,
		talkgroupId,
		from: call.dateTime - duplicateWindowMs,
		to: call.dateTime + duplicateWindowMs
	});
	if (duplicate) return { status: 'duplicate' };

	for (const unit of call.units) await upsertUnit(trx, systemId, unit, autoPopulate, now);

	const due = dueAt(call.dateTime, now, delayMinutes);
	// Without an encode the call is final now: the feed lock first (publication seqs in commit
	// order), then the row with its ready columns and its publication — no second write of it.
	if (!encode) await lockFeed(trx, 'calls');
	const row = await insertCall.executeTakeFirst(trx, {
		system_id: systemId,
		talkgroup_id: talkgroupId,
		date_time: call.dateTime,
		frequency: call.frequency,
		duration: call.duration,
		audio_path: audioPath,
		audio_type: call.audio.type.mime,
		audio_size: call.audio.size,
		audio_name: call.audio.name,
		source: call.source,
		frequencies: JSON.stringify(call.frequencies),
		sources: JSON.stringify(call.sources),
		patches: JSON.stringify(call.patches),
		emergency: call.emergency ? 1 : 0,
		api_key_id: call.apiKeyId,
		created_at: now,
		due_at: due,
		...(encode ? { ready_at: null, public_at: null } : readyOnArrival(due, now))
	});
	if (!row) throw new Error('the call row was not inserted');
	if (encode) {
		await trx
			.insertInto('audio_jobs')
			.values({ call_id: row.id, run_after: now, created_at: now })
			.execute();
	} else await insertPublication(trx, { id: row.id, dueAt: due }, now);
	return {
		status: 'stored',
		callId: row.id,
		systemId,
		talkgroupId,
		published: !encode,
		delayed: due > now
	};
}

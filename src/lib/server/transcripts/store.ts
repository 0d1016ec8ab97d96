import type { DB } from '../core/db';
import { lockFeed } from '../core/db/feed-lock';
import type { TranscriptLine } from './align';

export interface StoredTranscript {
	callId: number;
	text: string;
	lines: TranscriptLine[];
	language: string | null;
	engine: string;
	model: string;
	audioSeconds: number;
	elapsedMs: number;
}

/**
 * Stores a call's transcript (a re-transcription replaces it; the full-text index follows by
 * trigger on SQLite, by expression index on PostgreSQL) and, when the call is already audible,
 * appends a `transcript` publication so live listeners get the call again with its text
 * (docs/api.md, live.calls updates). Returns false when the call is gone.
 */
export async function saveTranscript(db: DB, t: StoredTranscript, now: number): Promise<boolean> {
	return db.transaction().execute(async (trx) => {
		const call = await trx
			.selectFrom('calls')
			.select(['ready_at', 'public_at'])
			.where('id', '=', t.callId)
			.executeTakeFirst();
		if (!call) return false;
		const row = {
			text: t.text,
			segments: JSON.stringify(t.lines),
			language: t.language,
			engine: t.engine,
			model: t.model,
			audio_seconds: t.audioSeconds,
			elapsed_ms: t.elapsedMs,
			created_at: now
		};
		await trx
			.insertInto('transcripts')
			.values({ call_id: t.callId, ...row })
			.onConflict((oc) => oc.column('call_id').doUpdateSet(row))
			.execute();
		// A call not yet audible to anyone carries its transcript when it is published.
		const audience = call.public_at !== null ? 'all' : call.ready_at !== null ? 'exempt' : null;
		if (audience) {
			// Publication ids must commit in order for the live feed (several instances append).
			await lockFeed(trx, 'calls');
			await trx
				.insertInto('call_publications')
				.values({ call_id: t.callId, audience, published_at: now, kind: 'transcript' })
				.execute();
		}
		return true;
	});
}

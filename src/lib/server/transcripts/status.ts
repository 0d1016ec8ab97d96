import type { Clock } from '../core/clock';
import type { Config } from '../core/config';
import type { DB } from '../core/db';
import { ServiceError } from '../core/errors';
import { getSettings } from '../core/settings';
import { engineChoice } from './engines';
import { backlogLength, requeueCalls } from './queue';

/** The engine's health on the admin dashboard (docs/transcripts.md). */
export interface TranscriptStatus {
	engine: 'off' | 'openai';
	/** Where requests go (origin and path only: never credentials), and the model. */
	endpoint: string | null;
	model: string;
	lastSuccessAt: Date | null;
	/** Calls waiting or retrying. */
	queueLength: number;
	/** Failed requests in the last hour (each retry counts). */
	failuresLastHour: number;
	lastError: string | null;
	/** Processing time over audio time, averaged over the last 100 transcripts; below 1 keeps up. */
	realTimeFactor: number | null;
	transcribedToday: number;
}

export interface TranscriptStatusDeps {
	db: DB;
	clock: Clock;
	config: { stt: Config['stt'] };
}

const HOUR = 3_600_000;

function endpointOf(url: string | null): string | null {
	if (!url) return null;
	try {
		const u = new URL(url);
		return `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
	} catch {
		return null;
	}
}

export async function transcriptStatus(deps: TranscriptStatusDeps): Promise<TranscriptStatus> {
	const choice = engineChoice(await getSettings(deps.db), deps.config.stt);
	const now = deps.clock.now();
	const last = await deps.db
		.selectFrom('transcripts')
		.select('created_at')
		.orderBy('created_at', 'desc')
		.limit(1)
		.executeTakeFirst();
	const recent = await deps.db
		.selectFrom('transcripts')
		.select(['elapsed_ms', 'audio_seconds'])
		.where('audio_seconds', '>', 0)
		.orderBy('created_at', 'desc')
		.limit(100)
		.execute();
	const failures = await deps.db
		.selectFrom('transcript_failures')
		.select(['error', 'at'])
		.where('at', '>=', now - HOUR)
		.orderBy('at', 'desc')
		.execute();
	const today = await deps.db
		.selectFrom('transcripts')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('created_at', '>=', now - 24 * HOUR)
		.executeTakeFirstOrThrow();
	const factors = recent.map((r) => r.elapsed_ms / 1000 / r.audio_seconds);
	return {
		engine: choice.kind,
		endpoint: endpointOf(choice.url),
		model: choice.model,
		lastSuccessAt: last ? new Date(Number(last.created_at)) : null,
		queueLength: await backlogLength(deps.db),
		failuresLastHour: failures.length,
		lastError: failures[0]?.error ?? null,
		realTimeFactor: factors.length
			? Math.round((factors.reduce((a, b) => a + b, 0) / factors.length) * 1000) / 1000
			: null,
		transcribedToday: Number(today.n)
	};
}

/** The most calls one re-transcribe request may queue. */
export const MAX_RETRANSCRIBE = 5000;

/**
 * Queues calls to be transcribed again (the admin's "re-transcribe"): one call, or every audible
 * call recorded in [from, to]. Refused while transcripts are off, and for a range holding more
 * than MAX_RETRANSCRIBE calls.
 */
export async function retranscribe(
	deps: TranscriptStatusDeps,
	target: { callId: number } | { from: Date; to: Date }
): Promise<{ queued: number }> {
	const choice = engineChoice(await getSettings(deps.db), deps.config.stt);
	if (choice.kind === 'off')
		throw new ServiceError('BAD_REQUEST', 'engine: transcripts are off; choose an engine first');
	let query = deps.db.selectFrom('calls').select('id').where('ready_at', 'is not', null);
	if ('callId' in target) query = query.where('id', '=', target.callId);
	else {
		if (target.to < target.from) throw new ServiceError('BAD_REQUEST', 'to: before from');
		query = query
			.where('date_time', '>=', target.from.getTime())
			.where('date_time', '<=', target.to.getTime());
	}
	const rows = await query
		.orderBy('id')
		.limit(MAX_RETRANSCRIBE + 1)
		.execute();
	if ('callId' in target && !rows.length)
		throw new ServiceError('NOT_FOUND', 'callId: no such call (or its audio is not ready)');
	if (rows.length > MAX_RETRANSCRIBE)
		throw new ServiceError(
			'BAD_REQUEST',
			`to: the range holds more than ${MAX_RETRANSCRIBE} calls; choose a shorter one`
		);
	return {
		queued: await requeueCalls(
			deps,
			rows.map((r) => r.id)
		)
	};
}

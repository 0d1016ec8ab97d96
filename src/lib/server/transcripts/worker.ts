import path from 'node:path';
import type { Bus } from '../core/bus';
import type { Clock } from '../core/clock';
import type { Config } from '../core/config';
import type { DB } from '../core/db';
import { recordEvent } from '../core/event-log';
import { dueHeads, markDone, startOutboxWorker, type OutboxItem } from '../core/outbox';
import { getSettings, type Settings } from '../core/settings';
import { absoluteAudioPath } from '../calls/storage';
import { alignSegments, type SourcePosition } from './align';
import type { TranscriptionEngine } from './engine';
import { engineChoice, engineFor } from './engines';
import {
	engineSwitchedAt,
	passOver,
	queueFinishedCalls,
	TRANSCRIPT_KIND,
	trimBacklog
} from './queue';
import { saveTranscript } from './store';

export interface TranscriptDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	config: { recordingsDir: string; stt: Config['stt'] };
}

/** First retry after this long, doubling per attempt up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 10 * 60_000;

export function retryDelay(attempts: number, retryAfterMs: number | null): number {
	const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 20));
	return Math.min(Math.max(backoff, retryAfterMs ?? 0), 60 * 60_000);
}

/**
 * Claims one due call for this worker: a conditional update moves its next_at past the request's
 * timeout, so another instance (PostgreSQL) or slot never takes the same row; a crash leaves it
 * to be claimed again once that lease runs out.
 */
async function claim(deps: TranscriptDeps, leaseMs: number): Promise<OutboxItem | null> {
	for (const item of await dueHeads(deps.db, deps.clock, TRANSCRIPT_KIND, 20)) {
		const now = deps.clock.now();
		const res = await deps.db
			.updateTable('outbox')
			.set({ next_at: now + leaseMs })
			.where('id', '=', item.id)
			.where('next_at', '<=', now)
			.where('done_at', 'is', null)
			.where('gave_up_at', 'is', null)
			.executeTakeFirst();
		if (Number(res.numUpdatedRows) === 1) return item;
	}
	return null;
}

async function failed(
	deps: TranscriptDeps,
	item: OutboxItem,
	callId: number,
	outcome: { retry: boolean; retryAfterMs: number | null; reason: string },
	settings: Settings
) {
	const now = deps.clock.now();
	const attempts = item.attempts + 1;
	const giveUp = !outcome.retry || attempts >= settings.sttMaxAttempts;
	await deps.db
		.insertInto('transcript_failures')
		.values({ call_id: callId, at: now, error: outcome.reason.slice(0, 500) })
		.execute();
	await deps.db
		.updateTable('outbox')
		.set({
			attempts,
			last_error: outcome.reason.slice(0, 500),
			next_at: now + retryDelay(attempts, outcome.retryAfterMs),
			gave_up_at: giveUp ? now : null
		})
		.where('id', '=', item.id)
		.execute();
	if (giveUp)
		await recordEvent(deps, 'transcript.failed', { callId, attempts, reason: outcome.reason });
}

/** Sends one claimed call to the engine and stores what comes back (or schedules the retry). */
async function transcribeOne(
	deps: TranscriptDeps,
	engine: TranscriptionEngine,
	language: string | null,
	item: OutboxItem,
	settings: Settings,
	signal: AbortSignal
): Promise<void> {
	const callId = (item.payload as { callId: number }).callId;
	const call = await deps.db
		.selectFrom('calls')
		.select(['id', 'audio_path', 'audio_type', 'duration', 'sources', 'system_id'])
		.where('id', '=', callId)
		.executeTakeFirst();
	const audioPath = call && absoluteAudioPath(deps.config.recordingsDir, call.audio_path);
	if (!call || !audioPath) {
		await markDone(deps.db, deps.clock, item.id); // deleted meanwhile (retention)
		return;
	}
	const started = deps.clock.now();
	const result = await engine
		.transcribe({
			audioPath,
			fileName: path.basename(call.audio_path),
			mimeType: call.audio_type,
			language,
			signal
		})
		.catch((err: unknown) => ({
			ok: false as const,
			retry: true,
			retryAfterMs: null,
			reason: `could not send: ${err instanceof Error ? err.message : String(err)}`
		}));
	if (!result.ok && signal.aborted) {
		// Stopping, not the engine's fault: the next start sends it again at once.
		await deps.db
			.updateTable('outbox')
			.set({ next_at: deps.clock.now() })
			.where('id', '=', item.id)
			.execute();
		return;
	}
	if (!result.ok) return failed(deps, item, callId, result, settings);
	const sources = parseSources(call.sources);
	const aliases = await unitAliases(deps.db, call.system_id, sources);
	const lines = alignSegments(
		result.segments.length
			? result.segments
			: [{ start: 0, end: call.duration, text: result.text }],
		sources,
		aliases
	);
	const now = deps.clock.now();
	const stored = await saveTranscript(
		deps.db,
		{
			callId,
			text: result.text || lines.map((l) => l.text).join(' '),
			lines,
			language: result.language,
			engine: engine.name,
			model: engine.model,
			audioSeconds: result.duration ?? call.duration,
			elapsedMs: Math.max(0, now - started)
		},
		now
	);
	await markDone(deps.db, deps.clock, item.id);
	if (!stored) return;
	deps.bus.publish('call.published', { count: 1 });
	deps.bus.publish('transcript.stored', { callId });
}

function parseSources(json: string): SourcePosition[] {
	try {
		const value = JSON.parse(json);
		return Array.isArray(value) ? (value as SourcePosition[]) : [];
	} catch {
		return [];
	}
}

async function unitAliases(
	db: DB,
	systemId: number,
	sources: SourcePosition[]
): Promise<Map<number, string>> {
	const ids = [...new Set(sources.map((s) => s.src).filter((s) => Number.isSafeInteger(s)))];
	if (!ids.length) return new Map();
	const rows = await db
		.selectFrom('units')
		.select(['unit_ref', 'alias'])
		.where('system_id', '=', systemId)
		.where('unit_ref', 'in', ids.slice(0, 500))
		.execute();
	return new Map(rows.filter((r) => r.alias).map((r) => [r.unit_ref, r.alias]));
}

/**
 * The transcription worker of one process: each `fill` queues calls whose audio became final,
 * trims the backlog, and starts requests up to `sttConcurrency` without waiting for them, so a
 * slow engine never holds up queueing (a finished request asks for the next fill). Settings are
 * read on each fill, so an admin's change applies at once.
 */
export class TranscriptWorker {
	private inFlight = new Set<Promise<void>>();
	/** The last fill found the engine off: published calls need not wake this worker. */
	engineOff = false;

	constructor(
		private deps: TranscriptDeps,
		private signal: AbortSignal,
		/** Called when a request finishes: there may be room for the next. */
		private onFinished: () => void = () => {}
	) {}

	/** Returns how many requests it started. */
	async fill(): Promise<number> {
		const { deps, signal } = this;
		const settings = await getSettings(deps.db);
		const choice = engineChoice(settings, deps.config.stt);
		const engine = engineFor(choice, () => deps.clock.now());
		if (!engine) await passOver(deps.db);
		// Just switched on: calls published before that moment are passed over, as while off.
		else if (this.engineOff) await passOver(deps.db, await engineSwitchedAt(deps.db));
		this.engineOff = !engine;
		while (engine && (await queueFinishedCalls(deps, settings)) > 0) {
			if (signal.aborted) return 0;
		}
		const dropped = await trimBacklog(deps, settings.sttBacklog);
		if (dropped > 0)
			await recordEvent(deps, 'transcript.dropped', {
				count: dropped,
				reason: `more than ${settings.sttBacklog} calls waiting`
			});
		if (!engine) return 0;
		let started = 0;
		while (!signal.aborted && this.inFlight.size < settings.sttConcurrency) {
			const item = await claim(deps, choice.timeoutMs + 60_000);
			if (!item) break;
			const request: Promise<void> = transcribeOne(
				deps,
				engine,
				choice.language,
				item,
				settings,
				signal
			)
				.catch((err) =>
					console.error('Squelch: transcription failed:', err instanceof Error ? err.message : err)
				)
				.finally(() => {
					this.inFlight.delete(request);
					this.onFinished();
				});
			this.inFlight.add(request);
			started++;
		}
		return started;
	}

	/** Resolves once no request is in flight. */
	async idle(): Promise<void> {
		while (this.inFlight.size) await Promise.all(this.inFlight);
	}
}

/** Fills and waits until nothing more is due (tests, and a one-off drain). */
export async function transcriptPass(deps: TranscriptDeps, signal: AbortSignal): Promise<void> {
	const worker = new TranscriptWorker(deps, signal);
	let started: number;
	do {
		started = await worker.fill();
		await worker.idle();
	} while (started > 0 && !signal.aborted);
}

const KEEP_FAILURES_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Starts transcription: a fill at start (calls a crash left waiting are sent), whenever a call is
 * published (while the engine is on) or a request finishes, and every few seconds (retries coming
 * due, the engine switched on or off). Never on the
 * ingest path: a published call only wakes this worker. Returns the stop function, which aborts
 * requests in flight (their calls are due again at the next start) and waits for them.
 */
export function startTranscripts(deps: TranscriptDeps, intervalMs = 2000): () => Promise<void> {
	const stopping = new AbortController();
	let prunedAt = -Infinity;
	const transcriber = new TranscriptWorker(deps, stopping.signal, () => worker.wake());
	const worker = startOutboxWorker(async () => {
		await transcriber.fill();
		// A delete on every pass would compete with ingest: the failure log is pruned now and then.
		if (deps.clock.now() - prunedAt < PRUNE_EVERY_MS) return;
		prunedAt = deps.clock.now();
		await deps.db
			.deleteFrom('transcript_failures')
			.where('at', '<', prunedAt - KEEP_FAILURES_MS)
			.execute();
	}, intervalMs);
	// With the engine off a published call has nothing to do here: the timer's fill moves the
	// cursor along and notices the engine being switched on (docs/performance.md, ingest).
	const unsubscribe = deps.bus.subscribe('call.published', () => {
		if (!transcriber.engineOff) worker.wake();
	});
	return async () => {
		unsubscribe();
		stopping.abort();
		await worker.stop();
		await transcriber.idle();
	};
}

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import type { Clock } from '../../core/clock';
import type { DB } from '../../core/db';
import type { Bus } from '../../core/bus';
import { getSettings, type Settings } from '../../core/settings';
import { recordEvent } from '../../core/event-log';
import { absoluteAudioPath, incomingDir } from '../storage';
import { publishReady } from '../publish';
import { encodeCall, OUTPUT } from './encode';

export interface PipelineDeps {
	db: DB;
	clock: Clock;
	bus: Bus;
	/** Jobs are claimed under this name, so another instance on the same database skips them. */
	instanceId: string;
	config: { recordingsDir: string; claimLeaseMs: number };
}

/** Tries per call before its audio is served as received; the backoff doubles from this. */
export const MAX_ATTEMPTS = 3;
const BACKOFF_MS = 10_000;

/**
 * The audio pipeline's worker: reads `audio_jobs` (the outbox written with each call) in call
 * order and encodes at most `encodeConcurrency` at once. Each job ends with the call's row
 * pointing at a complete file — the encode, renamed into place before the row changes, or the
 * original when FFmpeg refuses it — and the call published (publish.ts). A crash at any point
 * leaves the row on the original and the job in the table, so the next start redoes it.
 * Several instances on one database: each job is claimed with a lease before it runs (the job
 * row's claimed_by/claimed_until), and only the claim holder publishes it; a crashed instance's
 * job is taken over when its lease runs out.
 */
export class AudioPipeline {
	private inFlight = new Set<number>();
	private kicking = false;
	private again = false;
	private timer: NodeJS.Timeout | null = null;
	private stopped = false;
	private idleWaiters: Array<() => void> = [];
	/** Queue latency samples (ms, job created → published), newest last; for stats and the bench. */
	readonly latencies: number[] = [];

	constructor(
		private deps: PipelineDeps,
		/** The FFmpeg binary, or null: every job is finished with the audio as received. */
		readonly ffmpeg: { path: string; version: string } | null
	) {}

	/** Jobs waiting or running. */
	async queueLength(): Promise<number> {
		const row = await this.deps.db
			.selectFrom('audio_jobs')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.executeTakeFirstOrThrow();
		return Number(row.n);
	}

	/** Looks for work now; called after each stored call and at start. */
	kick(): void {
		if (this.stopped) return;
		if (this.kicking) {
			this.again = true;
			return;
		}
		this.kicking = true;
		void (async () => {
			try {
				do {
					this.again = false;
					await this.fill();
				} while (this.again);
			} catch (err) {
				console.error('Squelch: audio pipeline failed to read its queue:', describe(err));
			} finally {
				this.kicking = false;
				this.notifyIdle();
			}
		})();
	}

	/** Resolves when no job is running or runnable now (tests, the bench). */
	async idle(): Promise<void> {
		while (this.inFlight.size || this.kicking)
			await new Promise<void>((r) => this.idleWaiters.push(r));
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
	}

	private notifyIdle() {
		if (this.inFlight.size || this.kicking) return;
		for (const resolve of this.idleWaiters.splice(0)) resolve();
	}

	private async fill(): Promise<void> {
		const settings = await getSettings(this.deps.db);
		const limit =
			settings.encodeConcurrency ?? Math.max(1, Math.floor(os.availableParallelism() / 2));
		while (!this.stopped && this.inFlight.size < limit) {
			const now = this.deps.clock.now();
			let query = this.deps.db
				.selectFrom('audio_jobs')
				.select(['call_id', 'attempts'])
				.where('run_after', '<=', now)
				.where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
				.orderBy('call_id')
				.limit(1);
			if (this.inFlight.size) query = query.where('call_id', 'not in', [...this.inFlight]);
			const job = await query.executeTakeFirst();
			if (!job) {
				await this.armRetry();
				return;
			}
			// Lost to another instance: that row is now claimed, so the next read skips it.
			if (!(await this.claim(job.call_id, now))) continue;
			this.inFlight.add(job.call_id);
			void this.run(job.call_id, job.attempts, settings).finally(() => {
				this.inFlight.delete(job.call_id);
				this.kick();
			});
		}
	}

	/** Takes a job until now + lease unless another instance holds it (the update decides). */
	private async claim(callId: number, now: number): Promise<boolean> {
		const result = await this.deps.db
			.updateTable('audio_jobs')
			.set({ claimed_by: this.deps.instanceId, claimed_until: now + this.deps.config.claimLeaseMs })
			.where('call_id', '=', callId)
			.where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
			.executeTakeFirst();
		return Number(result.numUpdatedRows) > 0;
	}

	/** Ends this instance's job in a transaction; false when another instance took it over. */
	private async endJob(trx: DB, callId: number): Promise<boolean> {
		const result = await trx
			.deleteFrom('audio_jobs')
			.where('call_id', '=', callId)
			.where('claimed_by', '=', this.deps.instanceId)
			.executeTakeFirst();
		return Number(result.numDeletedRows) > 0;
	}

	/** A job waiting out its backoff: look again when it is due (capped, the clock may jump). */
	private async armRetry(): Promise<void> {
		const next = await this.deps.db
			.selectFrom('audio_jobs')
			.select('run_after')
			.orderBy('run_after')
			.limit(1)
			.executeTakeFirst();
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		if (!next || this.stopped) return;
		const wait = Math.min(60_000, Math.max(1000, next.run_after - this.deps.clock.now()));
		this.timer = setTimeout(() => this.kick(), wait);
		this.timer.unref();
	}

	private async run(callId: number, attempts: number, settings: Settings): Promise<void> {
		const { db, clock } = this.deps;
		const call = await db
			.selectFrom('calls')
			.select(['id', 'audio_path', 'audio_size', 'due_at', 'created_at'])
			.where('id', '=', callId)
			.executeTakeFirst();
		if (!call) {
			await db.deleteFrom('audio_jobs').where('call_id', '=', callId).execute();
			return;
		}
		const source = absoluteAudioPath(this.deps.config.recordingsDir, call.audio_path);
		if (!this.ffmpeg || !source) return this.keepAsReceived(call, null);

		// Counted before the work: a file that crashes the process every time still stops.
		await db
			.updateTable('audio_jobs')
			.set({ attempts: attempts + 1 })
			.where('call_id', '=', callId)
			.execute();
		const out = OUTPUT[settings.audioFormat];
		// Written in the incoming folder: the start-up sweep removes anything a crash left there.
		const temp = path.join(
			incomingDir(this.deps.config.recordingsDir),
			`${randomUUID()}.encode.${out.ext}`
		);
		try {
			const result = await encodeCall(source, temp, {
				ffmpeg: this.ffmpeg.path,
				loudnessTarget: settings.loudnessTarget,
				format: settings.audioFormat,
				bitrateKbps: settings.audioBitrateKbps,
				trimSilence: settings.trimSilence,
				silenceThresholdDb: settings.silenceThresholdDb,
				silencePadMs: settings.silencePadMs,
				timeLimitMs: settings.encodeTimeLimitSec * 1000
			});
			if (!result.ok) {
				if (result.kind === 'timeout' && attempts + 1 < MAX_ATTEMPTS) {
					await db
						.updateTable('audio_jobs')
						.set({
							run_after: clock.now() + BACKOFF_MS * 2 ** attempts,
							claimed_by: null,
							claimed_until: null
						})
						.where('call_id', '=', callId)
						.execute();
					return;
				}
				return this.keepAsReceived(call, result.reason);
			}
			await this.finish(call, temp, out, settings.keepOriginal);
		} catch (err) {
			// FFmpeg could not be started (EAGAIN, ENOMEM…): retried like a timeout, then given up.
			if (attempts + 1 < MAX_ATTEMPTS) {
				await db
					.updateTable('audio_jobs')
					.set({
						run_after: clock.now() + BACKOFF_MS * 2 ** attempts,
						claimed_by: null,
						claimed_until: null
					})
					.where('call_id', '=', callId)
					.execute();
			} else await this.keepAsReceived(call, describe(err));
		} finally {
			await fs.promises.rm(temp, { force: true }).catch(() => {});
		}
	}

	/** The encode is complete: put it in place, then point the row at it and publish, then tidy. */
	private async finish(
		call: {
			id: number;
			audio_path: string;
			audio_size: number;
			due_at: number;
			created_at: number;
		},
		temp: string,
		out: { ext: string; mime: string },
		keepOriginal: boolean
	): Promise<void> {
		const { db, clock, config } = this.deps;
		const stat = await fs.promises.stat(temp);
		const duration = await readDuration(temp);
		// Beside the original, named after it: a redo after a crash overwrites the same name.
		const relative = call.audio_path.replace(/\.[^./]+$/, '') + `.enc.${out.ext}`;
		const target = absoluteAudioPath(config.recordingsDir, relative);
		if (!target) throw new Error(`bad audio path ${relative}`);
		await fs.promises.rename(temp, target);
		const now = clock.now();
		const done = await db.transaction().execute(async (trx) => {
			// Taken over after our lease ran out: the other instance finishes (and owns the file).
			if (!(await this.endJob(trx, call.id))) return 'lost';
			const updated = await trx
				.updateTable('calls')
				.set({
					audio_path: relative,
					audio_type: out.mime,
					audio_size: stat.size,
					original_size: call.audio_size,
					original_path: keepOriginal ? call.audio_path : null,
					...(duration > 0 ? { duration } : {})
				})
				.where('id', '=', call.id)
				.executeTakeFirst();
			if (!Number(updated.numUpdatedRows)) return 'gone'; // deleted meanwhile (retention)
			await publishReady(trx, { id: call.id, dueAt: call.due_at }, now);
			return 'done';
		});
		if (done === 'gone') await fs.promises.rm(target, { force: true });
		if (done !== 'done') return;
		if (!keepOriginal) {
			const original = absoluteAudioPath(config.recordingsDir, call.audio_path);
			if (original) await fs.promises.rm(original, { force: true }).catch(() => {});
		}
		this.announce(call, now);
	}

	/** No encode: the call is served as received; a reason goes to the admin event log. */
	private async keepAsReceived(
		call: { id: number; due_at: number; created_at: number },
		reason: string | null
	): Promise<void> {
		const now = this.deps.clock.now();
		const mine = await this.deps.db.transaction().execute(async (trx) => {
			if (!(await this.endJob(trx, call.id))) return false;
			await publishReady(trx, { id: call.id, dueAt: call.due_at }, now);
			return true;
		});
		if (!mine) return;
		if (reason) await recordEvent(this.deps, 'audio.failed', { callId: call.id, reason });
		this.announce(call, now);
	}

	private announce(call: { due_at: number; created_at: number }, now: number) {
		this.latencies.push(now - call.created_at);
		if (this.latencies.length > 10_000) this.latencies.splice(0, 5_000);
		this.deps.bus.publish('call.published', { count: 1, delayed: call.due_at > now });
	}
}

async function readDuration(file: string): Promise<number> {
	try {
		const meta = await parseFile(file, { duration: true, skipCovers: true });
		const seconds = meta.format.duration;
		return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
			? Math.round(seconds * 1000) / 1000
			: 0;
	} catch {
		return 0;
	}
}

function describe(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

/**
 * Load-generator process for HTTP: recorder uploads (paced or as fast as a fixed number of
 * concurrent senders allow), GET floods, and auth.refresh rotation chains. It answers the
 * orchestrator with raw timings; the orchestrator does the arithmetic.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { trunkRecorderForm } from '../src/lib/server/calls/recorder-forms';
import { now } from './lib/stats';

export const WAV_NAME = '12345-1718145678_851012500-call_17.wav';
export const WAV_PATH = path.resolve(import.meta.dirname, '../tests/fixtures/audio', WAV_NAME);

/** Calls are told apart by their dateTime: seq n carries base + n seconds. */
export interface UploadPlan {
	url: string;
	key: string;
	base: number;
	/** This process sends seqs offset, offset + stride, offset + 2·stride, … */
	offset: number;
	stride: number;
}

export type LoadJob =
	| ({ kind: 'paced-uploads'; rate: number; seconds: number } & UploadPlan)
	| ({ kind: 'flood-uploads'; concurrency: number; seconds: number } & UploadPlan)
	| {
			kind: 'flood-get';
			url: string;
			headers: Record<string, string>;
			concurrency: number;
			seconds: number;
	  }
	| { kind: 'refresh-chains'; url: string; refreshTokens: string[]; seconds: number };

export interface LoadResult {
	/** Successful requests, their reply latencies (ms) and, for uploads, seq → reply time. */
	ok: number;
	failed: number;
	firstFailure?: string;
	latencies: number[];
	replies: Array<[seq: number, repliedAt: number]>;
	elapsedMs: number;
}

const wav = fs.readFileSync(WAV_PATH);
// Idle sockets are dropped before the server's 5 s keep-alive timeout, so a request never lands
// on a socket the server is closing (ECONNRESET).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });

function request(
	url: string,
	init: { method: string; headers?: Record<string, string>; body?: Buffer | string }
): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: init.method, headers: init.headers, agent }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() })
			);
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(init.body);
	});
}

function uploadBody(plan: UploadPlan, seq: number) {
	return trunkRecorderForm({
		key: plan.key,
		audio: wav,
		audioName: WAV_NAME,
		audioType: 'audio/wav',
		dateTime: plan.base + seq,
		system: 11,
		systemLabel: 'Bench County',
		// Spread over talkgroups as a real site is; with duplicateWindowMs 0 none is a duplicate anyway.
		talkgroup: 100 + (seq % 200),
		talkgroupLabel: `TG ${100 + (seq % 200)}`
	});
}

async function upload(plan: UploadPlan, seq: number, result: LoadResult) {
	const form = uploadBody(plan, seq);
	const t0 = now();
	try {
		const res = await request(plan.url, {
			method: 'POST',
			headers: { 'content-type': form.contentType, 'content-length': String(form.body.length) },
			body: form.body
		});
		const t1 = now();
		if (res.status >= 200 && res.status < 300) {
			result.ok++;
			result.latencies.push(t1 - t0);
			result.replies.push([seq, t1]);
		} else fail(result, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
	} catch (err) {
		fail(result, String(err));
	}
}

function fail(result: LoadResult, why: string) {
	result.failed++;
	result.firstFailure ??= why;
}

/** `workers` loops, each sending its next request when its last one is answered, until the deadline. */
async function flood(
	concurrency: number,
	seconds: number,
	send: (worker: number, i: number) => Promise<void>
) {
	const deadline = now() + seconds * 1000;
	let next = 0;
	await Promise.all(
		Array.from({ length: concurrency }, async (_, worker) => {
			while (now() < deadline) await send(worker, next++);
		})
	);
}

async function run(job: LoadJob): Promise<LoadResult> {
	const result: LoadResult = { ok: 0, failed: 0, latencies: [], replies: [], elapsedMs: 0 };
	const t0 = now();
	if (job.kind === 'paced-uploads') {
		const total = Math.round(job.rate * job.seconds);
		const pending: Promise<void>[] = [];
		for (let i = 0; i < total; i++) {
			const due = t0 + (i * 1000) / job.rate;
			const wait = due - now();
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
			pending.push(upload(job, job.offset + i * job.stride, result));
		}
		await Promise.all(pending);
	} else if (job.kind === 'flood-uploads') {
		await flood(job.concurrency, job.seconds, (_, i) =>
			upload(job, job.offset + i * job.stride, result)
		);
	} else if (job.kind === 'flood-get') {
		await flood(job.concurrency, job.seconds, async () => {
			const s = now();
			try {
				const res = await request(job.url, { method: 'GET', headers: job.headers });
				if (res.status === 200) {
					result.ok++;
					result.latencies.push(now() - s);
				} else fail(result, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
			} catch (err) {
				fail(result, String(err));
			}
		});
	} else {
		// One chain per session: each rotation presents the token the previous one returned.
		const tokens = [...job.refreshTokens];
		await flood(tokens.length, job.seconds, async (worker) => {
			const s = now();
			try {
				const res = await request(`${job.url}/api/trpc/auth.refresh`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ json: { refreshToken: tokens[worker] } })
				});
				const next =
					res.status === 200
						? (JSON.parse(res.body) as { result: { data: { json: { refreshToken?: string } } } })
								.result.data.json.refreshToken
						: undefined;
				if (!next) return fail(result, `HTTP ${res.status} ${res.body.slice(0, 200)}`);
				tokens[worker] = next;
				result.ok++;
				result.latencies.push(now() - s);
			} catch (err) {
				fail(result, String(err));
			}
		});
	}
	result.elapsedMs = now() - t0;
	return result;
}

process.on('message', async (job: LoadJob) => {
	const result = await run(job);
	process.send!(result, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

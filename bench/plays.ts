/**
 * "Everyone plays": N listeners each fetch the audio of every call they are sent (bench/players.ts)
 * while calls arrive at a steady rate. A call is playable for a listener once its audio is in;
 * its latency runs from the moment the recorder read the upload's reply. Run against Squelch and
 * against the baselines (raw ws broadcast + bare static file server) with the same plan.
 */
import type { ChildProcess } from 'node:child_process';
import { nextMessage, spawnChild } from './lib/children';
import { quantile } from './lib/stats';
import type { LoadResult } from './load';
import type { PlayersReport, PlayersStart } from './players';

export interface PlaysTarget {
	wsUrl: string;
	httpUrl: string;
	mode: 'trpc' | 'raw';
	/** One per client process (trpc mode: the listener's sessions; sockets share them). */
	tokens: string[];
}

export interface PlaysPlan {
	listeners: number;
	processes: number;
	/** Connections each client process's listeners share (see bench/players.ts). */
	poolSize: number;
	/** Unix seconds of seq 0's dateTime. */
	base: number;
	/** A call not playable this long after its reply counts as missed. */
	windowMs: number;
	/** Sends the measured calls (paced) and resolves with the uploads' replies. */
	sendCalls(): Promise<LoadResult>;
}

export interface PlaysResult {
	listeners: number;
	calls: number;
	/** Share of (listener, call) pairs playable within the window, 0..1. */
	share: number;
	/** Over every (listener, call) pair, a missed one counting as infinitely late (ms). */
	p50: number;
	p99: number;
	connectMs: number;
	failures: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function everyonePlays(target: PlaysTarget, plan: PlaysPlan): Promise<PlaysResult> {
	const per = Math.ceil(plan.listeners / plan.processes);
	const procs: ChildProcess[] = [];
	for (let i = 0; i * per < plan.listeners; i++) procs.push(spawnChild('players.ts'));
	const t0 = performance.now();
	const ready = await Promise.all(
		procs.map((p, i) => {
			const answer = nextMessage<PlayersReport & { type: 'ready' }>(p);
			p.send({
				type: 'start',
				wsUrl: target.wsUrl,
				httpUrl: target.httpUrl,
				mode: target.mode,
				token: target.tokens[i % target.tokens.length],
				count: Math.min(per, plan.listeners - i * per),
				first: i * per,
				poolSize: plan.poolSize,
				base: plan.base,
				audioPath: '/audio'
			} satisfies PlayersStart);
			return answer;
		})
	);
	const connectMs = performance.now() - t0;
	const open = ready.reduce((n, r) => n + r.open, 0);
	const failedToOpen = ready.reduce((n, r) => n + r.failed, 0);
	if (failedToOpen) console.error(`  ${failedToOpen} listeners failed: ${ready[0].firstError}`);
	await sleep(1000);

	const uploads = await plan.sendCalls();
	if (uploads.failed) console.error(`  ${uploads.failed} uploads failed: ${uploads.firstFailure}`);
	// Every call's window closes windowMs after its reply; the last reply is the latest.
	const lastReply = Math.max(...uploads.replies.map(([, t]) => t));
	const owed = open * uploads.ok;
	// Done early once every listener has every call.
	while (performance.timeOrigin + performance.now() < lastReply + plan.windowMs) {
		const progress = await Promise.all(
			procs.map((p) => {
				const answer = nextMessage<PlayersReport & { type: 'progress' }>(p);
				p.send({ type: 'progress' });
				return answer;
			})
		);
		if (progress.reduce((n, r) => n + r.played, 0) >= owed) break;
		await sleep(500);
	}

	const results = await Promise.all(
		procs.map((p) => {
			const answer = nextMessage<PlayersReport & { type: 'result' }>(p);
			p.send({ type: 'stop' });
			return answer;
		})
	);
	const repliedAt = new Map(uploads.replies);
	const expected = owed;
	const latencies: number[] = [];
	let failures = 0;
	for (const r of results) {
		failures += r.failures;
		if (r.firstFailure) console.error(`  player: ${r.firstFailure}`);
		for (let i = 0; i < r.seqs.length; i++) {
			const replied = repliedAt.get(r.seqs[i]);
			if (replied !== undefined) latencies.push(r.times[i] - replied);
		}
	}
	const inWindow = latencies.filter((l) => l <= plan.windowMs);
	// Missed pairs sort last, so the quantiles are those of every pair the listeners were owed.
	const all = Float64Array.from({ length: expected }, (_, i) =>
		i < inWindow.length ? inWindow[i] : Infinity
	).sort();
	return {
		listeners: open,
		calls: uploads.ok,
		share: expected ? inWindow.length / expected : 0,
		p50: quantile(all, 0.5),
		p99: quantile(all, 0.99),
		connectMs,
		failures
	};
}

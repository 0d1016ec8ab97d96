/**
 * One set of WebSocket subscribers spread over client processes (bench/subscribers.ts), connected
 * behind a start barrier and timed from the first socket opened to the last subscription started.
 */
import type { ChildProcess } from 'node:child_process';
import { nextMessage, spawnChild } from './lib/children';
import { cpuSeconds } from './lib/proc';
import type { SubscribersReport, SubscribersStart } from './subscribers';

export interface Target {
	url: string;
	wsUrl: string;
	/** Several instances: subscriber processes spread over these, in turn (else all on wsUrl). */
	wsUrls?: string[];
	uploadUrl: string;
	pid: number;
	tokens: string[];
	mode: 'trpc' | 'raw';
}

/** What connecting one set cost: the figures every connect round records, for either server. */
export interface Connect {
	/** Wall time from the first socket opened to the last subscription started (ms). */
	ms: number;
	/** Server CPU (user + system) over the connect phase per socket connected (µs). */
	cpuUs: number;
	/** How far apart the processes began opening sockets (ms); part of `ms`. */
	skewMs: number;
	/** Spawning the client processes until every one was loaded (ms); not part of `ms`. */
	startupMs: number;
}

export class Subscribers {
	private procs: ChildProcess[] = [];
	open = 0;
	failed = 0;
	firstError?: string;
	connect: Connect = { ms: 0, cpuUs: 0, skewMs: 0, startupMs: 0 };

	/** `base`: Unix seconds that the call with seq 0 carries as dateTime. */
	async start(target: Target, count: number, processes: number, base: number) {
		const per = Math.ceil(count / processes);
		const t0 = performance.now();
		this.procs = Array.from({ length: Math.min(processes, Math.ceil(count / per)) }, () =>
			spawnChild('subscribers.ts')
		);
		// The barrier: no process starts before every one has loaded (tsx, its module, its message
		// handler), or a late loader would start late and stretch the span by its start-up.
		await Promise.all(this.procs.map((p) => nextMessage<SubscribersReport>(p)));
		const startupMs = performance.now() - t0;
		const cpu0 = cpuSeconds(target.pid);
		const answers = this.procs.map((p) => nextMessage<SubscribersReport & { type: 'ready' }>(p));
		this.procs.forEach((p, i) =>
			p.send({
				type: 'start',
				url: target.wsUrls ? target.wsUrls[i % target.wsUrls.length] : target.wsUrl,
				mode: target.mode,
				tokens: [target.tokens[i % target.tokens.length]],
				count: Math.min(per, count - i * per),
				base,
				first: i * per
			} satisfies SubscribersStart)
		);
		const ready = await Promise.all(answers);
		const cpuUsed = cpuSeconds(target.pid) - cpu0;
		for (const r of ready) {
			this.open += r.open;
			this.failed += r.failed;
			this.firstError ??= r.firstError;
		}
		const firstOpens = ready.map((r) => r.firstOpenAt);
		this.connect = {
			ms: Math.max(...ready.map((r) => r.lastReadyAt)) - Math.min(...firstOpens),
			cpuUs: (cpuUsed * 1e6) / Math.max(1, this.open),
			skewMs: Math.max(...firstOpens) - Math.min(...firstOpens),
			startupMs
		};
		if (this.failed) console.error(`  ${this.failed} subscribers failed: ${this.firstError}`);
	}

	/** Closes every socket (the processes then exit) and collects what each process heard. */
	async stop() {
		return Promise.all(
			this.procs.map((p) => {
				const r = nextMessage<SubscribersReport & { type: 'result' }>(p);
				p.send({ type: 'stop' });
				return r;
			})
		);
	}
}

/** A connect round alone: one full set connected and subscribed, then every socket closed. */
export async function connectRound(
	target: Target,
	count: number,
	processes: number,
	base: number
): Promise<Connect> {
	const subs = new Subscribers();
	await subs.start(target, count, processes, base);
	await subs.stop();
	return subs.connect;
}

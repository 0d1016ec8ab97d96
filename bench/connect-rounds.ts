/**
 * Connect + subscribe over rounds. Each round connects a full set of subscribers to Squelch and
 * to the raw baseline, in ABBA order (S R, R S, S R …) so that a drift in the machine's load
 * falls on both sides alike; after each set every socket is closed and the next set waits until
 * that server has settled (bench/lib/settle.ts). The figure is each side's median round.
 */
import { settle } from './lib/settle';
import { median } from './lib/stats';
import type { Connect, Target } from './subscriber-set';

export type Side = 'squelch' | 'raw';

/** Odd rounds Squelch first, even rounds the baseline first. */
export const abba = (round: number): Side[] =>
	round % 2 === 1 ? ['squelch', 'raw'] : ['raw', 'squelch'];

export interface RoundsPlan {
	rounds: number;
	/** The side's server (the caller starts it on first use and keeps it for later rounds). */
	target(side: Side, round: number): Promise<Target>;
	/** Connects and subscribes one full set, closes every socket, returns what connecting cost. */
	connect(side: Side, round: number, target: Target): Promise<Connect>;
}

export type Rounds = Record<Side, Connect[]>;

export async function connectRounds(plan: RoundsPlan): Promise<Rounds> {
	const rounds: Rounds = { squelch: [], raw: [] };
	const atRest = new Map<Side, number>();
	for (let round = 1; round <= plan.rounds; round++) {
		for (const side of abba(round)) {
			const target = await plan.target(side, round);
			const server = { pid: target.pid, port: Number(new URL(target.url).port) };
			// What the server holds with no subscriber (its own idle keep-alive connections, say).
			if (!atRest.has(side)) atRest.set(side, (await settle(server)).held);
			rounds[side].push(await plan.connect(side, round, target));
			const settled = await settle(server, atRest.get(side));
			console.log(
				`  sockets closed (the server still held ${settled.heldAtStart} connections); settled in ${settled.ms.toFixed(0)} ms${settled.settled ? '' : ' (limit reached: going on)'}`
			);
		}
	}
	return rounds;
}

/** Each side's median of one figure, and every round's pair "Squelch/raw" for the reader. */
export function medians(rounds: Rounds, k: keyof Connect, format: (n: number) => string) {
	const pick = (side: Side) => rounds[side].map((c) => c[k]);
	return {
		squelch: median(pick('squelch')),
		raw: median(pick('raw')),
		pairs: rounds.squelch.map((c, i) => `${format(c[k])}/${format(rounds.raw[i][k])}`).join(', ')
	};
}

/**
 * Load-generator process for "everyone plays": listeners that subscribe to live.calls (as
 * bench/subscribers.ts does) and fetch the audio of every call they are sent, one at a time in
 * arrival order, as the scanner page's player does (src/lib/client/scanner/player.svelte.ts): a
 * same-origin GET of the call's `audioUrl` carrying the `squelch_at` access cookie, with a
 * browser's Accept header. A call counts as playable for a listener when its whole body is in.
 *
 * Browsers hold one connection per listener; at 10,000 listeners that would pass the machine's
 * file limit (two sockets per connection on one host), so each process shares one keep-alive pool
 * of at most `poolSize` connections among its listeners — the same pool for Squelch and the
 * baseline. 'raw' mode (the baseline) fetches `audioPath` from the bare static server for every
 * message the raw ws broadcaster sends.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { now } from './lib/stats';
import { sourceAddress } from './lib/source-address';

export interface PlayersStart {
	type: 'start';
	wsUrl: string;
	httpUrl: string;
	mode: 'trpc' | 'raw';
	token: string;
	count: number;
	/** Where this process's listeners start in the run's numbering (source address spread). */
	first: number;
	poolSize: number;
	/** Unix seconds that the call with seq 0 carries as dateTime. */
	base: number;
	/** raw mode: the audio path on the baseline server. */
	audioPath: string;
}

export type PlayersReport =
	| { type: 'ready'; open: number; failed: number; firstError?: string; connectMs: number }
	| { type: 'progress'; played: number }
	| { type: 'result'; seqs: number[]; times: number[]; failures: number; firstFailure?: string };

const seqs: number[] = [];
const times: number[] = [];
let failures = 0;
let firstFailure: string | undefined;
let stopping = false;
const sockets: WebSocket[] = [];

interface Listener {
	queue: Array<{ seq: number; path: string }>;
	busy: boolean;
}

function fetchAudio(agent: http.Agent, start: PlayersStart, path: string): Promise<number> {
	const headers: Record<string, string> = { accept: '*/*' };
	if (start.mode === 'trpc') headers.cookie = `squelch_at=${start.token}`;
	return new Promise((resolve, reject) => {
		const req = http.get(`${start.httpUrl}${path}`, { agent, headers }, (res) => {
			let bytes = 0;
			res.on('data', (c: Buffer) => (bytes += c.length));
			res.on('end', () =>
				res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))
			);
			res.on('error', reject);
		});
		req.on('error', reject);
	});
}

/**
 * A browser sends a GET again, once, when a kept-alive connection is reset under it (the server
 * closed it as idle while the request was on its way); Node's client does not, so the player
 * does, for both servers alike.
 */
async function fetchLikeABrowser(agent: http.Agent, start: PlayersStart, path: string) {
	try {
		return await fetchAudio(agent, start, path);
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
		return fetchAudio(agent, start, path);
	}
}

async function play(agent: http.Agent, start: PlayersStart, listener: Listener) {
	listener.busy = true;
	while (listener.queue.length && !stopping) {
		const next = listener.queue.shift()!;
		try {
			await fetchLikeABrowser(agent, start, next.path);
			seqs.push(next.seq);
			times.push(now());
		} catch (err) {
			if (stopping) break;
			failures++;
			firstFailure ??= String(err);
		}
	}
	listener.busy = false;
}

/** The call's seq and audio path from a live.calls `data` frame (or the baseline's imitation). */
function callOf(text: string, start: PlayersStart): { seq: number; path: string } | null {
	const msg = JSON.parse(text) as {
		result?: {
			type: string;
			data?: { json?: { data?: { dateTime?: string; audioUrl?: string } } };
		};
	};
	const call = msg.result?.type === 'data' ? msg.result.data?.json?.data : undefined;
	if (!call?.dateTime) return null;
	const path = start.mode === 'raw' ? start.audioPath : call.audioUrl;
	if (!path) return null;
	return { seq: Date.parse(call.dateTime) / 1000 - start.base, path };
}

function open(start: PlayersStart, agent: http.Agent, index: number): Promise<void> {
	const listener: Listener = { queue: [], busy: false };
	return new Promise((resolve, reject) => {
		const url = start.mode === 'trpc' ? `${start.wsUrl}?connectionParams=1` : start.wsUrl;
		const ws = new WebSocket(url, {
			perMessageDeflate: false,
			localAddress: sourceAddress(start.first + index)
		});
		sockets.push(ws);
		const timer = setTimeout(() => reject(new Error('no started message within 60 s')), 60_000);
		ws.once('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		ws.once('close', (code) => {
			clearTimeout(timer);
			if (!stopping) {
				failures++;
				firstFailure ??= `socket closed ${code}`;
			}
			reject(new Error(`closed ${code}`));
		});
		ws.on('open', () => {
			ws.send(JSON.stringify({ method: 'connectionParams', data: { token: start.token } }));
			ws.send(
				JSON.stringify({
					id: 1,
					method: 'subscription',
					params: { path: 'live.calls', input: { json: {} } }
				})
			);
			if (start.mode === 'raw') {
				clearTimeout(timer);
				resolve();
			}
		});
		ws.on('message', (raw) => {
			const text = raw.toString();
			if (text === 'PING') return ws.send('PONG');
			if (text.includes('"started"')) {
				clearTimeout(timer);
				return resolve();
			}
			const call = callOf(text, start);
			if (!call) return;
			listener.queue.push(call);
			if (!listener.busy) void play(agent, start, listener);
		});
	});
}

process.on('message', async (msg: PlayersStart | { type: 'stop' | 'progress' }) => {
	if (msg.type === 'start') {
		const agent = new http.Agent({
			keepAlive: true,
			maxSockets: msg.poolSize,
			timeout: 4000,
			localAddress: sourceAddress(msg.first)
		});
		const t0 = now();
		let failed = 0;
		let firstError: string | undefined;
		for (let i = 0; i < msg.count; i += 50) {
			const wave = Array.from({ length: Math.min(50, msg.count - i) }, (_, k) =>
				open(msg, agent, i + k)
			);
			for (const r of await Promise.allSettled(wave)) {
				if (r.status === 'rejected') {
					failed++;
					firstError ??= String(r.reason);
				}
			}
		}
		process.send!({
			type: 'ready',
			open: msg.count - failed,
			failed,
			firstError,
			connectMs: now() - t0
		} satisfies PlayersReport);
	} else if (msg.type === 'progress') {
		process.send!({ type: 'progress', played: seqs.length } satisfies PlayersReport);
	} else {
		stopping = true;
		for (const ws of sockets) ws.terminate();
		process.send!(
			{ type: 'result', seqs, times, failures, firstFailure } satisfies PlayersReport,
			() => process.exit(0)
		);
	}
});
process.on('disconnect', () => process.exit(0));

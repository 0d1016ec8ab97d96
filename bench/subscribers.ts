/**
 * Load-generator process: holds many WebSocket subscribers and timestamps every call they receive.
 *
 * 'trpc' mode speaks tRPC's WebSocket protocol the way @trpc/client's wsLink does: the URL asks for
 * connection params, the first message carries them ({ token }), then a `subscription` request for
 * live.calls with a superjson-encoded input. The server answers `started`, then one `data` message
 * per call; it sends "PING" when the line is quiet and expects "PONG".
 * 'raw' mode (the baseline) opens plain sockets and sends the same two messages, which the
 * baseline server ignores.
 */
import WebSocket from 'ws';
import { now } from './lib/stats';
import { sourceAddress } from './lib/source-address';

export interface SubscribersStart {
	type: 'start';
	url: string;
	mode: 'trpc' | 'raw';
	/** One access token per socket, cycled (sockets share sessions). */
	tokens: string[];
	count: number;
	/** Unix seconds that the call with seq 0 carries as dateTime. */
	base: number;
	/** Where this process's sockets start in the run's numbering (source address spread). */
	first: number;
}

export type SubscribersReport =
	/** Sent once the module is loaded and listens for `start` (the orchestrator's barrier). */
	| { type: 'loaded' }
	| {
			type: 'ready';
			open: number;
			failed: number;
			firstError?: string;
			connectMs: number;
			/** Wall clock (stats.now) of this process's first socket opened and last one ready. */
			firstOpenAt: number;
			lastReadyAt: number;
	  }
	| {
			type: 'result';
			seqs: number[];
			times: number[];
			sample: string | null;
			closedEarly: number;
			errors: string[];
	  };

const sockets: WebSocket[] = [];
const seqs: number[] = [];
const times: number[] = [];
const errors: string[] = [];
let sample: string | null = null;
let stopping = false;
let closedEarly = 0;
let base = 0;

function onMessage(text: string, t: number) {
	// A tracked() event: result.data is superjson's { json: { id, data: Call }, meta }.
	const msg = JSON.parse(text) as {
		result?: { type: string; data?: { json?: { data?: { dateTime?: string } } } };
		error?: { message: string };
	};
	if (msg.error && errors.length < 5) errors.push(msg.error.message);
	const dateTime = msg.result?.type === 'data' ? msg.result.data?.json?.data?.dateTime : undefined;
	if (!dateTime) return;
	sample ??= text;
	seqs.push(Date.parse(dateTime) / 1000 - base);
	times.push(t);
}

function open(start: SubscribersStart, index: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const url = start.mode === 'trpc' ? `${start.url}?connectionParams=1` : start.url;
		const ws = new WebSocket(url, {
			perMessageDeflate: false,
			localAddress: sourceAddress(start.first + index)
		});
		sockets.push(ws);
		const timer = setTimeout(() => reject(new Error('no started message within 30 s')), 30_000);
		ws.once('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		ws.once('close', (code, reason) => {
			if (!stopping) {
				closedEarly++;
				if (errors.length < 5) errors.push(`closed ${code} ${reason.toString()}`);
			}
			clearTimeout(timer);
			reject(new Error(`closed ${code} ${reason.toString()}`));
		});
		ws.on('open', () => {
			ws.send(
				JSON.stringify({
					method: 'connectionParams',
					data: { token: start.tokens[index % start.tokens.length] }
				})
			);
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
			const t = now();
			const text = raw.toString();
			if (text === 'PING') return ws.send('PONG');
			if (text.includes('"started"')) {
				clearTimeout(timer);
				return resolve();
			}
			if (text.includes('"error"') && !text.includes('"data"')) {
				clearTimeout(timer);
				reject(new Error(text.slice(0, 300)));
			}
			onMessage(text, t);
		});
	});
}

process.on('message', async (msg: SubscribersStart | { type: 'stop' }) => {
	if (msg.type === 'start') {
		base = msg.base;
		const t0 = now();
		let failed = 0;
		let firstError: string | undefined;
		// In waves, as many real clients arriving at once would not all land in the same millisecond.
		for (let i = 0; i < msg.count; i += 50) {
			const wave = Array.from({ length: Math.min(50, msg.count - i) }, (_, k) => open(msg, i + k));
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
			connectMs: now() - t0,
			firstOpenAt: t0,
			lastReadyAt: now()
		} satisfies SubscribersReport);
	} else if (msg.type === 'stop') {
		stopping = true;
		for (const ws of sockets) ws.terminate();
		process.send!(
			{ type: 'result', seqs, times, sample, closedEarly, errors } satisfies SubscribersReport,
			() => process.exit(0)
		);
	}
});
// Never outlive the orchestrator.
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'loaded' } satisfies SubscribersReport);

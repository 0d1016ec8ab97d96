import fs from 'node:fs';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../src/lib/server/trpc/root';
import { trunkRecorderForm } from '../src/lib/server/calls/recorder-forms';
import path from 'node:path';
import { cpuSecondsWithChildren } from './lib/proc';
import { summarize } from './lib/stats';
import type { client } from './lib/squelch';

const WAV_NAME = '12345-1718145678_851012500-call_17.wav';
const WAV_PATH = path.resolve(import.meta.dirname, '../tests/fixtures/audio', WAV_NAME);

/**
 * Ingest with the audio pipeline on, next to it off: `calls` WAV uploads sent as fast as four
 * senders go, and for each the time from its upload reply to its arrival on an admin's live
 * stream (the queue latency: waiting for, and running, its encode). Encodes per second per core
 * divide the rate by the CPU the server and its FFmpeg children used meanwhile.
 */
export async function pipelineIngest(opts: {
	url: string;
	pid: number;
	admin: ReturnType<typeof client>;
	adminToken: string;
	key: string;
	pipeline: boolean;
	calls: number;
	/** dateTime (seconds) of the first call; each next one a second later. */
	base: number;
}) {
	await opts.admin.admin.settings.update.mutate({ audioPipeline: opts.pipeline });
	const wsClient = createWSClient({
		url: `${opts.url.replace('http', 'ws')}/api/ws`,
		WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
		connectionParams: async () => ({ token: opts.adminToken })
	});
	const trpc = createTRPCClient<AppRouter>({
		links: [wsLink({ client: wsClient, transformer: superjson })]
	});
	const replied = new Map<number, number>();
	const arrived = new Map<number, number>();
	let started!: () => void;
	const ready = new Promise<void>((r) => (started = r));
	let allIn!: () => void;
	const done = new Promise<void>((r) => (allIn = r));
	const sub = trpc.live.calls.subscribe(
		{},
		{
			onStarted: () => started(),
			onData: ({ data }) => {
				const seq = data.dateTime.getTime() / 1000 - opts.base;
				arrived.set(seq, performance.now());
				if (arrived.size >= opts.calls) allIn();
			}
		}
	);
	await ready;
	const wav = fs.readFileSync(WAV_PATH);
	const cpu0 = cpuSecondsWithChildren(opts.pid);
	const t0 = performance.now();
	let next = 0;
	const sender = async () => {
		while (next < opts.calls) {
			const seq = next++;
			const form = trunkRecorderForm({
				key: opts.key,
				audio: wav,
				audioName: WAV_NAME,
				audioType: 'audio/wav',
				dateTime: opts.base + seq,
				system: 12,
				systemLabel: 'Bench pipeline',
				talkgroup: 100 + (seq % 20)
			});
			const res = await fetch(`${opts.url}/api/call-upload`, {
				method: 'POST',
				headers: { 'content-type': form.contentType },
				body: new Uint8Array(
					form.body.buffer as ArrayBuffer,
					form.body.byteOffset,
					form.body.byteLength
				)
			});
			await res.text();
			if (res.status !== 200) throw new Error(`upload: HTTP ${res.status}`);
			replied.set(seq, performance.now());
		}
	};
	await Promise.all([sender(), sender(), sender(), sender()]);
	await done;
	const seconds = (Math.max(...arrived.values()) - t0) / 1000;
	const cores = (cpuSecondsWithChildren(opts.pid) - cpu0) / seconds;
	sub.unsubscribe();
	wsClient.close();
	const latencies = [...arrived].map(([seq, at]) => at - (replied.get(seq) ?? at));
	const perSecond = opts.calls / seconds;
	return {
		perSecond,
		perCore: perSecond / Math.max(cores, 0.01),
		cores,
		p99: summarize(latencies).p99
	};
}

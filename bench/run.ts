/**
 * `npm run bench`: the production server on loopback with a fresh data dir, load generators in
 * separate processes, each figure measured side by side with its baseline, one table at the end.
 *
 *   npm run bench                 full run (1,000 subscribers, 30 s of uploads at 10 calls/s)
 *   npm run bench -- --quick      a short smoke run (200 subscribers, 5 s)
 *   npm run bench -- --postgres   the same rows with DATABASE_URL on a throwaway PostgreSQL
 *                                 cluster, plus fan-out over two instances (combines with --quick)
 * Environment: BENCH_SECONDS, BENCH_SUBSCRIBERS, BENCH_ROUNDS (fan-out repeats),
 * BENCH_CLIENT_PROCESSES, BENCH_CONNECT_ROUNDS, BENCH_INGEST_CONCURRENCY, BENCH_ALERT_ROUNDS, BENCH_WARMUP_SECONDS, BENCH_CPU_PROF=<dir> (server --cpu-prof),
 * BENCH_ONLY=fanout,fanout-big,plays,ingest,alerts,pipeline,auth (sections, comma-separated).
 */
import { children, nextMessage, spawnChild } from './lib/children';
import { startSquelch, prepare, type Squelch } from './lib/squelch';
import { cpuMeter, cpuSeconds, loadAverage, rssBytes } from './lib/proc';
import { summarize } from './lib/stats';
import { Subscribers, connectRound, type Connect, type Target } from './subscriber-set';
import { connectRounds, medians } from './connect-rounds';
import type { LoadJob, LoadResult } from './load';
import { pipelineIngest } from './pipeline';
import { benchPostgres } from './lib/postgres';
import { ALERT_USERS, alertUsers } from './alerts';
import { decisionCost } from './alerts-decide';
import { everyonePlays, type PlaysResult } from './plays';

const quick = process.argv.includes('--quick');
const postgres = process.argv.includes('--postgres');
const env = (name: string, fallback: number) =>
	process.env[name] ? Number(process.env[name]) : fallback;
const SECONDS = env('BENCH_SECONDS', quick ? 5 : 30);
const SUBSCRIBERS = env('BENCH_SUBSCRIBERS', quick ? 200 : 1000);
const ROUNDS = env('BENCH_ROUNDS', quick ? 1 : 2);
const CLIENT_PROCESSES = env('BENCH_CLIENT_PROCESSES', 4);
const INGEST_CONCURRENCY = env('BENCH_INGEST_CONCURRENCY', 16);
const SHORT_SECONDS = Math.max(3, Math.round(SECONDS / 3));
/** Uploads at the fan-out rate before each measured window, for both servers, not counted. */
const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 2);
const RATE = 10;
const ONLY = process.env.BENCH_ONLY;
type Section = 'fanout' | 'fanout-big' | 'plays' | 'ingest' | 'alerts' | 'pipeline' | 'auth';
const section = (name: Section) => !ONLY || ONLY.split(',').includes(name);
/** The large fan-out: 10,000 subscribers at the scanner's 4 calls/s. */
const BIG_SUBSCRIBERS = env('BENCH_BIG_SUBSCRIBERS', quick ? 400 : 10_000);
const BIG_SECONDS = env('BENCH_BIG_SECONDS', quick ? 3 : 10);
/** Connect + subscribe of the large fan-out: rounds per side (bench/connect-rounds.ts). */
// At least one: round 1 carries the section's fan-out.
const CONNECT_ROUNDS = Math.max(1, env('BENCH_CONNECT_ROUNDS', quick ? 1 : 5));
/** Everyone plays: listener counts, 4 calls/s for PLAY_SECONDS, each call owed within 20 s. */
const PLAYERS = (process.env.BENCH_PLAYERS ?? (quick ? '100' : '1000,10000'))
	.split(',')
	.map(Number);
const PLAY_SECONDS = env('BENCH_PLAY_SECONDS', quick ? 2 : 10);
const PLAY_PROCESSES = env('BENCH_PLAY_PROCESSES', quick ? 2 : 8);
const PLAY_POOL = env('BENCH_PLAY_POOL', 500);
const PLAY_RATE = 4;
const PLAY_WINDOW_MS = 20_000;
/** WAV uploads per audio-pipeline run (bench/pipeline.ts). */
const PIPELINE_CALLS = env('BENCH_PIPELINE_CALLS', quick ? 20 : 100);
const INGEST_SUBSCRIBERS = 100;
/** Alternating no-rules / rules ingest runs (bench/alerts.ts). */
const ALERT_ROUNDS = env('BENCH_ALERT_ROUNDS', quick ? 1 : 2);
/** The server's default SQUELCH_ALERT_BATCH_MS (the bench server does not set it). */
const ALERT_BATCH_MS = 100;
/** Calls carry dateTime = BASE + seq; seqs are unique across the whole run. */
const BASE = 1_700_000_000;
let nextSeq = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs load jobs in parallel processes; resolves with their results. */
async function load(jobs: LoadJob[]): Promise<LoadResult[]> {
	return Promise.all(
		jobs.map(async (job) => {
			const child = spawnChild('load.ts');
			const result = nextMessage<LoadResult>(child);
			child.send(job);
			return result;
		})
	);
}

interface FanOut {
	p50: number;
	p99: number;
	max: number;
	received: number;
	expected: number;
	cpu: number;
	rssMB: number;
	perSubscriberKB: number;
	messageBytes: number;
	uploadFailures: number;
	/** Server CPU time over the measured window per delivered call, microseconds. */
	cpuPerDeliveryUs: number;
}

interface FanOutPlan {
	subscribers: number;
	rate: number;
	seconds: number;
}

const FANOUT: FanOutPlan = { subscribers: SUBSCRIBERS, rate: RATE, seconds: SECONDS };

async function fanOut(
	target: Target,
	plan: FanOutPlan = FANOUT
): Promise<FanOut & { connect: Connect }> {
	const { rate: RATE, seconds: SECONDS } = plan;
	await sleep(1000);
	const rss0 = rssBytes(target.pid);
	const subs = new Subscribers();
	await subs.start(target, plan.subscribers, CLIENT_PROCESSES, BASE);
	await sleep(2000);
	const rss1 = rssBytes(target.pid);
	if (WARMUP_SECONDS > 0) {
		// Lazy module loads, JIT and caches on both servers settle before anything is counted; the
		// subscribers get these calls too, but only the measured window's are matched to replies.
		const warmup = Math.round(RATE * WARMUP_SECONDS);
		await load([
			{
				kind: 'paced-uploads',
				url: target.uploadUrl,
				key: uploadKey,
				base: BASE,
				offset: nextSeq,
				stride: 1,
				rate: RATE,
				seconds: WARMUP_SECONDS
			}
		]);
		nextSeq += warmup;
		await sleep(500);
	}
	const cpu = cpuMeter(target.pid);
	const cpu0 = cpuSeconds(target.pid);
	const offset = nextSeq;
	const total = Math.round(RATE * SECONDS);
	nextSeq += total;
	const [uploads] = await load([
		{
			kind: 'paced-uploads',
			url: target.uploadUrl,
			key: uploadKey,
			base: BASE,
			offset,
			stride: 1,
			rate: RATE,
			seconds: SECONDS
		}
	]);
	await sleep(1000); // the last calls are still on their way
	const cpuShare = cpu();
	const cpuUsed = cpuSeconds(target.pid) - cpu0;
	const rssEnd = rssBytes(target.pid);
	const results = await subs.stop();
	const repliedAt = new Map(uploads.replies);
	const latencies: number[] = [];
	for (const r of results) {
		for (let i = 0; i < r.seqs.length; i++) {
			const replied = repliedAt.get(r.seqs[i]);
			// Negative when the subscriber heard of the call before the recorder read its reply.
			if (replied !== undefined) latencies.push(r.times[i] - replied);
		}
		for (const e of r.errors) console.error(`  subscriber: ${e}`);
	}
	if (uploads.failed) console.error(`  ${uploads.failed} uploads failed: ${uploads.firstFailure}`);
	const s = summarize(latencies);
	const sample = results.find((r) => r.sample)?.sample;
	return {
		p50: s.p50,
		p99: s.p99,
		max: s.max,
		received: latencies.length,
		expected: uploads.ok * subs.open,
		cpu: cpuShare,
		rssMB: rssEnd / 2 ** 20,
		perSubscriberKB: (rss1 - rss0) / subs.open / 1024,
		messageBytes: sample ? Buffer.byteLength(sample) : 0,
		uploadFailures: uploads.failed,
		connect: subs.connect,
		cpuPerDeliveryUs: latencies.length ? (cpuUsed * 1e6) / latencies.length : NaN
	};
}

/** The bench's upload key (the baseline server ignores it). */
let uploadKey = '';

async function ingest(target: Target, subscribers: number) {
	const subs = new Subscribers();
	if (subscribers) await subs.start(target, subscribers, 1, BASE);
	const cpu = cpuMeter(target.pid);
	const cpu0 = cpuSeconds(target.pid);
	const half = Math.ceil(INGEST_CONCURRENCY / 2);
	const jobs: LoadJob[] = [0, 1].map((k) => ({
		kind: 'flood-uploads',
		url: target.uploadUrl,
		key: uploadKey,
		base: BASE,
		offset: nextSeq + k,
		stride: 2,
		concurrency: half,
		seconds: SHORT_SECONDS
	}));
	const results = await load(jobs);
	nextSeq += 2 * Math.max(...results.map((r) => r.ok + r.failed)) + 2;
	const cpuShare = cpu();
	const cpuUsed = cpuSeconds(target.pid) - cpu0;
	const heard = subscribers ? await subs.stop() : [];
	const sample = heard.find((r) => r.sample)?.sample;
	const result = throughput(results);
	return {
		...result,
		cpu: cpuShare,
		/** Server CPU (user + system) per answered upload, ms: steadier than calls/s under load. */
		cpuPerCallMs: ok(results) ? (cpuUsed * 1000) / ok(results) : NaN,
		messageBytes: sample ? Buffer.byteLength(sample) : 0
	};
}

const ok = (results: LoadResult[]) => results.reduce((n, r) => n + r.ok, 0);

function throughput(results: LoadResult[]) {
	const ok = results.reduce((n, r) => n + r.ok, 0);
	const failed = results.reduce((n, r) => n + r.failed, 0);
	for (const r of results) if (r.firstFailure) console.error(`  failure: ${r.firstFailure}`);
	const seconds = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
	const s = summarize(results.flatMap((r) => r.latencies));
	return { perSecond: ok / seconds, p99: s.p99, failed };
}

function getFlood(url: string, headers: Record<string, string>) {
	return load(
		[0, 1].map(
			() => ({ kind: 'flood-get', url, headers, concurrency: 8, seconds: SHORT_SECONDS }) as LoadJob
		)
	).then(throughput);
}

async function startBaseline(payloadBytes: number) {
	const child = spawnChild('baseline-server.ts', { BENCH_PAYLOAD_BYTES: String(payloadBytes) });
	const { port } = await nextMessage<{ port: number }>(child);
	const url = `http://127.0.0.1:${port}`;
	const target: Target = {
		url,
		wsUrl: `ws://127.0.0.1:${port}/ws`,
		uploadUrl: `${url}/upload`,
		pid: child.pid!,
		tokens: ['none'],
		mode: 'raw'
	};
	return {
		target,
		stop: () =>
			new Promise<void>((resolve) => {
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			})
	};
}

// --- the table ------------------------------------------------------------------------------
interface Row {
	figure: string;
	value: number;
	baseline: number | null;
	baselineName: string;
	unit: string;
	target: string;
	met: boolean | null;
	/** Printed in a last column, e.g. every round behind a median. */
	note?: string;
}
const rows: Row[] = [];
const fmt = (n: number) =>
	!Number.isFinite(n)
		? '–'
		: Math.abs(n) >= 100
			? n.toFixed(0)
			: Math.abs(n) >= 10
				? n.toFixed(1)
				: n.toFixed(2);
/** A ratio only means something between two positive figures. */
const ratio = (a: number, b: number | null) =>
	b && a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '–';

function printTable(load: { before: string; after: string }) {
	const notes = rows.some((r) => r.note);
	const header = ['Figure', 'Squelch', 'Baseline', 'Ratio', 'Target', 'Met'];
	if (notes) header.push('Rounds (Squelch/baseline)');
	const lines = rows.map((r) => [
		r.figure,
		`${fmt(r.value)} ${r.unit}`,
		r.baseline === null ? '–' : `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
		ratio(r.value, r.baseline),
		r.target,
		r.met === null ? '' : r.met ? 'yes' : 'NO',
		...(notes ? [r.note ?? ''] : [])
	]);
	const out = [header, ...lines];
	const widths = header.map((_, i) => Math.max(...out.map((l) => l[i].length)));
	const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	console.log('');
	console.log(line(header));
	console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
	for (const l of lines) console.log(line(l));
	console.log('');
	console.log(
		`${SUBSCRIBERS} subscribers in ${CLIENT_PROCESSES} processes, ${RATE} calls/s for ${SECONDS} s, ${ROUNDS} fan-out round(s); ingest/auth ${SHORT_SECONDS} s each; ${CONNECT_ROUNDS} connect round(s) of ${BIG_SUBSCRIBERS}.`
	);
	console.log(
		`Load average before: ${load.before}; after: ${load.after}; ${new Date().toISOString()}`
	);
}

function showConnect(c: Connect) {
	console.log(
		`  connect + subscribe ${fmt(c.ms)} ms (first opens ${fmt(c.skewMs)} ms apart; + ${fmt(c.startupMs)} ms loading the client processes before), server CPU ${fmt(c.cpuUs)} µs per connect`
	);
}

function showBig(f: FanOut) {
	console.log(
		`  p99 ${fmt(f.p99)} ms, ${f.received}/${f.expected} delivered, ${fmt(f.cpuPerDeliveryUs)} µs CPU per delivery, ${fmt(f.perSubscriberKB)} KB per idle subscriber`
	);
}

/** Everyone plays: the 1,000-listener targets are a share and a p99; at 10,000, the same share. */
function playsRows(listeners: number, ours: PlaysResult, theirs: PlaysResult) {
	const base = { baselineName: 'raw ws + static', unit: '' };
	const strict = listeners <= 1000;
	rows.push({
		...base,
		figure: `Everyone plays: playable within 20 s (${listeners})`,
		value: ours.share * 100,
		baseline: theirs.share * 100,
		unit: '%',
		target: strict ? '≥ 99 %' : '≥ baseline',
		met: strict ? ours.share >= 0.99 : ours.share >= theirs.share
	});
	for (const k of ['p50', 'p99'] as const)
		rows.push({
			...base,
			figure: `Everyone plays: call playable ${k} (${listeners})`,
			value: ours[k],
			baseline: theirs[k],
			unit: 'ms',
			target: strict && k === 'p99' ? '≤ 2× baseline' : '',
			met: strict && k === 'p99' ? Number.isFinite(ours.p99) && ours.p99 <= 2 * theirs.p99 : null
		});
}

async function main() {
	const loadBefore = loadAverage();
	console.log(
		`bench: ${quick ? 'quick' : 'full'} run${postgres ? ' on PostgreSQL' : ''}; starting the production server…`
	);
	const pg = postgres ? await benchPostgres() : null;
	stopDatabase = () => pg?.stop();
	const squelch: Squelch = await startSquelch({
		cpuProfDir: process.env.BENCH_CPU_PROF,
		env: pg?.env
	});
	stopServer = squelch.stop;
	// Ctrl-C: the server is a plain child (no IPC), so stop it explicitly; the forks follow on disconnect.
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			for (const c of children) c.kill('SIGTERM');
			void squelch.stop().then(() => {
				pg?.stop();
				process.exit(130);
			});
		});
	}
	try {
		const accounts = await prepare(squelch.url, Math.max(CLIENT_PROCESSES, PLAY_PROCESSES));
		uploadKey = accounts.uploadKey;
		const wsBase = squelch.url.replace('http', 'ws');
		const target: Target = {
			url: squelch.url,
			wsUrl: `${wsBase}/api/ws`,
			uploadUrl: `${squelch.url}/api/call-upload`,
			pid: squelch.pid,
			tokens: accounts.listenerTokens,
			mode: 'trpc'
		};

		// Fan-out and idle memory, alternating with the baseline, ROUNDS times; the worst round counts.
		const ours: FanOut[] = [];
		const theirs: FanOut[] = [];
		for (let round = 1; round <= (section('fanout') ? ROUNDS : 0); round++) {
			console.log(`fan-out round ${round}/${ROUNDS}: Squelch…`);
			ours.push(await fanOut(target));
			console.log(
				`  p50 ${fmt(ours.at(-1)!.p50)} ms, p99 ${fmt(ours.at(-1)!.p99)} ms, ${ours.at(-1)!.received}/${ours.at(-1)!.expected} delivered`
			);
			console.log(`fan-out round ${round}/${ROUNDS}: raw ws baseline…`);
			const baseline = await startBaseline(ours[0].messageBytes || 1500);
			theirs.push(await fanOut(baseline.target));
			await baseline.stop();
			console.log(
				`  p50 ${fmt(theirs.at(-1)!.p50)} ms, p99 ${fmt(theirs.at(-1)!.p99)} ms, ${theirs.at(-1)!.received}/${theirs.at(-1)!.expected} delivered`
			);
		}
		if (section('fanout')) {
			const worst = (list: FanOut[], k: keyof FanOut) => Math.max(...list.map((f) => f[k]));
			const fanoutRow = (
				figure: string,
				k: keyof FanOut,
				unit: string,
				target = '',
				met: boolean | null = null
			) =>
				rows.push({
					figure,
					value: worst(ours, k),
					baseline: worst(theirs, k),
					baselineName: 'raw ws',
					unit,
					target,
					met
				});
			const p99 = worst(ours, 'p99');
			const p99Ratio = p99 / worst(theirs, 'p99');
			fanoutRow(`Fan-out latency p50 (${SUBSCRIBERS} subs)`, 'p50', 'ms');
			fanoutRow(
				`Fan-out latency p99 (${SUBSCRIBERS} subs)`,
				'p99',
				'ms',
				'< 100 ms and ≤ 1.5× baseline',
				p99 < 100 && p99Ratio <= 1.5
			);
			fanoutRow(`Fan-out latency max`, 'max', 'ms');
			rows.push({
				figure: 'Fan-out deliveries (received / expected)',
				value: Math.min(...ours.map((f) => f.received / f.expected)) * 100,
				baseline: Math.min(...theirs.map((f) => f.received / f.expected)) * 100,
				baselineName: 'raw ws',
				unit: '%',
				target: '100 %',
				met: ours.every((f) => f.received === f.expected)
			});
			fanoutRow('Fan-out server CPU', 'cpu', 'cores');
			fanoutRow('Fan-out server RSS', 'rssMB', 'MB');
			const perSub = worst(ours, 'perSubscriberKB');
			fanoutRow('RSS per idle subscriber', 'perSubscriberKB', 'KB', '< 100 KB', perSub < 100);
			if (pg) await twoInstanceFanOut(target, pg.env, ours);
		}
		const payloadBytes = ours[0]?.messageBytes || 1500;

		// 10,000 subscribers: connect + subscribe over CONNECT_ROUNDS rounds (ABBA, the median of
		// each side); round 1's sets also carry the fan-out, so its figures come from one connected
		// set per side and RSS per idle subscriber from each server's first set (a fresh delta).
		if (section('fanout-big')) {
			const plan = { subscribers: BIG_SUBSCRIBERS, rate: PLAY_RATE, seconds: BIG_SECONDS };
			const names = { squelch: 'Squelch', raw: 'raw ws baseline' };
			const fanOuts: { squelch?: FanOut; raw?: FanOut } = {};
			let raw: Awaited<ReturnType<typeof startBaseline>> | undefined;
			const rounds = await connectRounds({
				rounds: CONNECT_ROUNDS,
				// Round 1 runs Squelch first, so the baseline's message size is known when it starts.
				target: async (side) =>
					side === 'squelch'
						? target
						: (raw ??= await startBaseline(fanOuts.squelch?.messageBytes || payloadBytes)).target,
				connect: async (side, round, t) => {
					console.log(
						`fan-out, ${BIG_SUBSCRIBERS} subscribers, round ${round}/${CONNECT_ROUNDS}: ${names[side]}…`
					);
					if (round > 1) {
						const connect = await connectRound(t, BIG_SUBSCRIBERS, CLIENT_PROCESSES, BASE);
						showConnect(connect);
						return connect;
					}
					const f = await fanOut(t, plan);
					fanOuts[side] = f;
					showConnect(f.connect);
					showBig(f);
					return f.connect;
				}
			});
			await raw?.stop();
			const [big, bigRaw] = [fanOuts.squelch!, fanOuts.raw!];
			const bigRow = (figure: string, k: keyof FanOut, unit: string, limit?: number) =>
				rows.push({
					figure: `${figure} (${BIG_SUBSCRIBERS} subs)`,
					value: big[k],
					baseline: bigRaw[k],
					baselineName: 'raw ws',
					unit,
					target: limit ? `≤ ${limit}× baseline` : '',
					met: limit ? big[k] <= limit * bigRaw[k] : null
				});
			bigRow('Fan-out latency p99', 'p99', 'ms', 1.5);
			rows.push({
				figure: `Fan-out deliveries (${BIG_SUBSCRIBERS} subs)`,
				value: (big.received / big.expected) * 100,
				baseline: (bigRaw.received / bigRaw.expected) * 100,
				baselineName: 'raw ws',
				unit: '%',
				target: '100 %',
				met: big.received === big.expected
			});
			bigRow('Server CPU per delivery', 'cpuPerDeliveryUs', 'µs');
			bigRow('RSS per idle subscriber', 'perSubscriberKB', 'KB', 2);
			const wall = medians(rounds, 'ms', fmt);
			const cpuPerConnect = medians(rounds, 'cpuUs', fmt);
			const connectRow = (figure: string, m: typeof wall, unit: string, limit?: number) =>
				rows.push({
					figure: `${figure} (${BIG_SUBSCRIBERS} subs)`,
					value: m.squelch,
					baseline: m.raw,
					baselineName: 'raw ws',
					unit,
					target: limit ? `≤ ${limit}× baseline` : '',
					met: limit ? m.squelch <= limit * m.raw : null,
					note: `${CONNECT_ROUNDS > 1 ? `median of ${CONNECT_ROUNDS}: ` : ''}${m.pairs} ${unit}`
				});
			connectRow('Connect + subscribe, all', wall, 'ms', 1.5);
			connectRow('Server CPU per connect', cpuPerConnect, 'µs');
		}

		if (section('plays')) {
			for (const listeners of PLAYERS) {
				const run = async (t: Target, mode: 'trpc' | 'raw', httpUrl: string) => {
					const offset = nextSeq;
					nextSeq += Math.round(PLAY_RATE * PLAY_SECONDS) + 1;
					return everyonePlays(
						{ wsUrl: t.wsUrl, httpUrl, mode, tokens: t.tokens },
						{
							listeners,
							processes: PLAY_PROCESSES,
							poolSize: PLAY_POOL,
							base: BASE,
							windowMs: PLAY_WINDOW_MS,
							sendCalls: async () =>
								(
									await load([
										{
											kind: 'paced-uploads',
											url: t.uploadUrl,
											key: uploadKey,
											base: BASE,
											offset,
											stride: 1,
											rate: PLAY_RATE,
											seconds: PLAY_SECONDS
										}
									])
								)[0]
						}
					);
				};
				const show = (r: PlaysResult) =>
					console.log(
						`  ${(r.share * 100).toFixed(1)} % playable within 20 s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ${r.failures} failed fetches`
					);
				console.log(`everyone plays, ${listeners} listeners: Squelch…`);
				const ours = await run(target, 'trpc', squelch.url);
				show(ours);
				console.log(`everyone plays, ${listeners} listeners: raw ws + bare static server…`);
				const raw = await startBaseline(payloadBytes);
				const theirs = await run(raw.target, 'raw', raw.target.url);
				await raw.stop();
				show(theirs);
				playsRows(listeners, ours, theirs);
			}
		}

		const baseline = await startBaseline(payloadBytes);

		// Ingest: as fast as INGEST_CONCURRENCY senders go, with INGEST_SUBSCRIBERS listeners attached
		// and with none, each row against the bare server under the same listeners (like with like).
		if (section('ingest')) {
			type Ingest = Awaited<ReturnType<typeof ingest>>;
			const show = (r: Ingest) =>
				console.log(
					`  ${fmt(r.perSecond)} calls/s, ${fmt(r.cpuPerCallMs)} ms server CPU per call, reply p99 ${fmt(r.p99)} ms`
				);
			console.log(`ingest, ${INGEST_SUBSCRIBERS} listeners: Squelch…`);
			const ours = await ingest(target, INGEST_SUBSCRIBERS);
			show(ours);
			// The bare server broadcasts a message the size of the one Squelch's listeners just got.
			const bare = await startBaseline(ours.messageBytes || payloadBytes);
			console.log(`ingest, ${INGEST_SUBSCRIBERS} listeners: bare HTTP baseline…`);
			const theirs = await ingest(bare.target, INGEST_SUBSCRIBERS);
			show(theirs);
			console.log('ingest, no listeners: Squelch…');
			const alone = await ingest(target, 0);
			show(alone);
			console.log('ingest, no listeners: bare HTTP baseline…');
			const bareAlone = await ingest(bare.target, 0);
			show(bareAlone);
			await bare.stop();
			const ingestRow = (
				figure: string,
				k: 'perSecond' | 'cpu' | 'cpuPerCallMs' | 'p99',
				unit: string,
				pair: [Ingest, Ingest],
				target = '',
				met: boolean | null = null
			) =>
				rows.push({
					figure,
					value: pair[0][k],
					baseline: pair[1][k],
					baselineName: 'bare HTTP to file',
					unit,
					target,
					met
				});
			const listeners = `${INGEST_SUBSCRIBERS} listeners`;
			ingestRow(
				`Ingest (${INGEST_CONCURRENCY} senders, ${listeners})`,
				'perSecond',
				'calls/s',
				[ours, theirs],
				'≥ 0.6× baseline',
				ours.perSecond >= 0.6 * theirs.perSecond
			);
			ingestRow(`Ingest (${INGEST_CONCURRENCY} senders, no listeners)`, 'perSecond', 'calls/s', [
				alone,
				bareAlone
			]);
			ingestRow(`Ingest server CPU per call (${listeners})`, 'cpuPerCallMs', 'ms', [ours, theirs]);
			ingestRow('Ingest server CPU per call (no listeners)', 'cpuPerCallMs', 'ms', [
				alone,
				bareAlone
			]);
			ingestRow(`Ingest server CPU (${listeners})`, 'cpu', 'cores', [ours, theirs]);
			ingestRow(`Ingest reply p99 (${listeners})`, 'p99', 'ms', [ours, theirs]);
		}

		// Ingest with 1,000 alert rules over 100 users next to the same run with none, in ABBA order
		// (rules deleted after their phase) so neither side always gets the emptier database; the
		// best round of each counts. Server CPU per call is the steadier figure on a busy machine.
		if (section('alerts')) {
			const users = await alertUsers(squelch.url, accounts.admin);
			const none: Array<Awaited<ReturnType<typeof ingest>>> = [];
			const ruled: typeof none = [];
			let rules = 0;
			for (let round = 1; round <= ALERT_ROUNDS; round++) {
				const withoutRules = async () => {
					console.log(`alerts round ${round}/${ALERT_ROUNDS}: ingest with no rules…`);
					none.push(await ingest(target, 0));
				};
				const withRules = async () => {
					rules = await users.seed();
					console.log(`alerts round ${round}/${ALERT_ROUNDS}: ingest with ${rules} rules…`);
					ruled.push(await ingest(target, 0));
					await users.clear();
				};
				// ABBA: no rules first in odd rounds, rules first in even ones.
				for (const phase of round % 2 ? [withoutRules, withRules] : [withRules, withoutRules])
					await phase();
				const [a, b] = [none.at(-1)!, ruled.at(-1)!];
				console.log(
					`  no rules ${fmt(a.perSecond)} calls/s at ${fmt(a.cpu)} cores; rules ${fmt(b.perSecond)} calls/s at ${fmt(b.cpu)} cores`
				);
			}
			const best = (list: typeof none) => Math.max(...list.map((r) => r.perSecond));
			const cpuPerCall = (list: typeof none) =>
				Math.min(...list.map((r) => (r.cpu / r.perSecond) * 1000));
			rows.push({
				figure: `Ingest, ${rules} alert rules (${ALERT_USERS} users)`,
				value: best(ruled),
				baseline: best(none),
				baselineName: 'no rules',
				unit: 'calls/s',
				target: '≥ 0.9× no rules',
				met: best(ruled) >= 0.9 * best(none)
			});
			rows.push({
				figure: 'Server CPU per ingested call, alert rules',
				value: cpuPerCall(ruled),
				baseline: cpuPerCall(none),
				baselineName: 'no rules',
				unit: 'ms',
				target: '',
				met: null
			});
			// The decision alone, in this process on its own SQLite file (bench/alerts-decide.ts), in
			// batches of the size the worker forms at the no-rules ingest rate: steadier than the
			// difference of the two CPU figures above, and comparable to the no-rules CPU per call.
			const batch = Math.min(200, Math.max(1, Math.round((best(none) * ALERT_BATCH_MS) / 1000)));
			const decision = await decisionCost(2000, batch);
			console.log(
				`  decision alone: ${fmt(decision.usPerCall)} µs and ${fmt(decision.statementsPerCall)} statements per call in batches of ${batch}`
			);
			rows.push({
				figure: `Alert decision alone, CPU per call (batches of ${batch})`,
				value: decision.usPerCall,
				baseline: cpuPerCall(none) * 1000,
				baselineName: 'no-rules CPU per call',
				unit: 'µs',
				target: '',
				met: null
			});
		}

		// Ingest through the audio pipeline (FFmpeg on PATH), then the same with it off.
		if (section('pipeline')) {
			const run = async (pipeline: boolean) => {
				const result = await pipelineIngest({
					url: squelch.url,
					pid: squelch.pid,
					admin: accounts.admin,
					adminToken: accounts.adminToken,
					key: uploadKey,
					pipeline,
					calls: PIPELINE_CALLS,
					base: BASE + nextSeq
				});
				nextSeq += PIPELINE_CALLS + 1;
				return result;
			};
			console.log('pipeline: ingest with the audio pipeline on…');
			const on = await run(true);
			console.log('pipeline: the same with it off…');
			const off = await run(false);
			const pipelineRow = (figure: string, value: number, base: number, unit: string) =>
				rows.push({
					figure,
					value,
					baseline: base,
					baselineName: 'pipeline off',
					unit,
					target: '',
					met: null
				});
			pipelineRow(
				`Ingest, pipeline on (${PIPELINE_CALLS} WAV calls)`,
				on.perSecond,
				off.perSecond,
				'calls/s'
			);
			pipelineRow('Encodes per second per core', on.perCore, off.perCore, 'calls/s/core');
			pipelineRow('Queue latency p99 (reply → live)', on.p99, off.p99, 'ms');
		}

		if (section('auth')) {
			// Auth: refresh rotations (8 chains, one per session) and authenticated audio.
			console.log('auth: refresh rotations…');
			const refreshTokens: string[] = [];
			for (let i = 0; i < 8; i++)
				refreshTokens.push((await accounts.login('rotator')).refreshToken);
			const refresh = throughput(
				await load(
					[0, 1].map(
						(k) =>
							({
								kind: 'refresh-chains',
								url: squelch.url,
								refreshTokens: refreshTokens.slice(k * 4, k * 4 + 4),
								seconds: SHORT_SECONDS
							}) as LoadJob
					)
				)
			);
			const status = await getFlood(`${squelch.url}/api/trpc/setup.status`, {});
			rows.push({
				figure: 'auth.refresh rotations (8 chains)',
				value: refresh.perSecond,
				baseline: status.perSecond,
				baselineName: 'public tRPC query',
				unit: '/s',
				target: '',
				met: null
			});

			console.log('auth: audio with and without auth…');
			// One stored call to fetch (the other sections may not have run).
			await load([
				{
					kind: 'paced-uploads',
					url: target.uploadUrl,
					key: uploadKey,
					base: BASE,
					offset: nextSeq++,
					stride: 1,
					rate: 1,
					seconds: 1
				}
			]);
			const [{ id }] = (await accounts.admin.calls.search.query({ limit: 1 })).items;
			// Interleaved, twice, so the machine's other load falls on all three alike. The anonymous
			// run (publicListening on, no token) isolates what the auth check itself costs.
			const audioUrl = `${squelch.url}/api/calls/${id}/audio`;
			const bearer = { authorization: `Bearer ${accounts.listenerTokens[0]}` };
			const runs: Array<Awaited<ReturnType<typeof getFlood>>[]> = [[], [], []];
			for (let round = 0; round < 2; round++) {
				runs[0].push(await getFlood(audioUrl, bearer));
				runs[1].push(await getFlood(`${baseline.target.url}/audio`, {}));
				await accounts.admin.admin.settings.update.mutate({ publicListening: true });
				runs[2].push(await getFlood(audioUrl, {}));
				await accounts.admin.admin.settings.update.mutate({ publicListening: false });
			}
			const mean = (list: Awaited<ReturnType<typeof getFlood>>[]) => ({
				perSecond: list.reduce((n, r) => n + r.perSecond, 0) / list.length,
				failed: list.reduce((n, r) => n + r.failed, 0)
			});
			const [audio, audioBare, audioAnonymous] = runs.map(mean);
			rows.push({
				figure: 'GET /api/calls/:id/audio (bearer)',
				value: audio.perSecond,
				baseline: audioBare.perSecond,
				baselineName: 'bare Node, no auth',
				unit: 'req/s',
				target: '≥ 0.85× baseline',
				met: audio.perSecond >= 0.85 * audioBare.perSecond
			});
			rows.push({
				figure: 'GET /api/calls/:id/audio (bearer)',
				value: audio.perSecond,
				baseline: audioAnonymous.perSecond,
				baselineName: 'same route, anonymous',
				unit: 'req/s',
				target: '',
				met: null
			});
			for (const r of [refresh, status, audio, audioBare, audioAnonymous])
				if (r.failed) console.error(`  ${r.failed} requests failed`);
		}
		await baseline.stop();
	} finally {
		await squelch.stop();
		for (const c of children) c.kill('SIGTERM');
		pg?.stop();
	}
	if (postgres) for (const r of rows) r.figure += ' [PostgreSQL]';
	printTable({ before: loadBefore, after: loadAverage() });
	if (process.env.BENCH_CPU_PROF)
		console.log(`Server CPU profile written to ${process.env.BENCH_CPU_PROF}`);
}

let stopServer: (() => Promise<void>) | null = null;
let stopDatabase: () => void = () => {};

/**
 * A second instance on the same PostgreSQL and recordings folder: the subscribers split over the
 * two (processes in turn), every call uploaded to the first, so half of them hear it through
 * LISTEN/NOTIFY. Printed next to the single-instance figures of this run.
 */
async function twoInstanceFanOut(one: Target, env: Record<string, string>, single: FanOut[]) {
	console.log('fan-out over two instances (uploads to the first)…');
	const second = await startSquelch({ env });
	try {
		const wsUrl = `${second.url.replace('http', 'ws')}/api/ws`;
		const two = await fanOut({ ...one, wsUrls: [one.wsUrl, wsUrl] });
		console.log(
			`  p50 ${fmt(two.p50)} ms, p99 ${fmt(two.p99)} ms, ${two.received}/${two.expected} delivered`
		);
		const worst = (k: keyof FanOut) => Math.max(...single.map((f) => f[k]));
		const row = (figure: string, value: number, baseline: number, unit: string) =>
			rows.push({
				figure: `${figure}, two instances`,
				value,
				baseline,
				baselineName: 'one instance',
				unit,
				target: '',
				met: null
			});
		row(`Fan-out latency p50 (${SUBSCRIBERS} subs split)`, two.p50, worst('p50'), 'ms');
		row(`Fan-out latency p99 (${SUBSCRIBERS} subs split)`, two.p99, worst('p99'), 'ms');
		row(
			'Fan-out deliveries (received / expected)',
			(two.received / two.expected) * 100,
			Math.min(...single.map((f) => f.received / f.expected)) * 100,
			'%'
		);
	} finally {
		await second.stop();
	}
}

// Bounded: whatever happens, the bench stops by itself.
const watchdog = setTimeout(
	() => {
		console.error('bench: overall time limit reached, stopping');
		for (const c of children) c.kill('SIGKILL');
		void (stopServer?.() ?? Promise.resolve()).then(() => {
			stopDatabase();
			process.exit(1);
		});
	},
	// Generous: on a shared machine connecting 10,000 sockets alone can take a minute.
	(15 * 60 + ROUNDS * SECONDS * 3 + CONNECT_ROUNDS * 60 + (quick ? 0 : 20 * 60)) * 1000
);
watchdog.unref();

main().then(
	() => process.exit(0),
	(err) => {
		console.error(err);
		for (const c of children) c.kill('SIGKILL');
		// main's finally has stopped the server already when it got that far.
		process.exit(1);
	}
);

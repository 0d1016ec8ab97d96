// `npm run simulate -- --url http://localhost:3000 --key sq_… [--rate 1] [--burst] [--count N] [--loop]`
//
// Plays the sample calls in samples/ into a running Squelch exactly the way the recorders send
// them: Trunk-Recorder's libcurl form (audio first, before the key) and SDRTrunk's hand-built body
// (boundary --sdrtrunk-sdrtrunk-sdrtrunk, MP3 last, and over plain http the h2c upgrade headers
// Java adds). It starts with SDRTrunk's key test, like SDRTrunk does.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
	sdrtrunkCall,
	sdrtrunkKeyTest,
	trunkRecorderForm,
	type Multipart
} from '../src/lib/server/calls/recorder-forms';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Sample {
	file: string;
	recorder: 'trunk-recorder' | 'sdrtrunk';
	system: number;
	systemLabel: string;
	talkgroup: number;
	talkgroupLabel?: string;
	talkgroupName?: string;
	talkgroupGroup?: string;
	talkgroupTag?: string;
	frequency: number;
	sources?: Array<{ src: number; tag?: string }>;
	source?: number;
	talkerAlias?: string;
}

const USAGE = `Usage: npm run simulate -- --url http://localhost:3000 --key sq_… [options]

  --url URL        Squelch's address, as you would give it to a recorder (required)
  --key KEY        an upload key from Admin → Upload keys (required)
  --rate N         calls per second on average (default 1)
  --burst          send calls in bursts of --burst-size at once instead of one by one
  --burst-size N   calls per burst (default 10)
  --count N        stop after N calls (default: one pass of the samples)
  --loop           keep going until Ctrl-C (or --count)
  --recorder R     trunk-recorder, sdrtrunk or both (default both)
`;

function fail(message: string): never {
	console.error(`simulate: ${message}\n\n${USAGE}`);
	process.exit(2);
}

function positive(
	name: string,
	raw: string | undefined,
	fallback: number,
	integer = false
): number {
	if (raw === undefined) return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
		fail(`--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${raw}"`);
	return value;
}

const { values } = (() => {
	try {
		return parseArgs({
			options: {
				url: { type: 'string' },
				key: { type: 'string' },
				rate: { type: 'string' },
				burst: { type: 'boolean', default: false },
				'burst-size': { type: 'string' },
				count: { type: 'string' },
				loop: { type: 'boolean', default: false },
				recorder: { type: 'string' },
				help: { type: 'boolean', short: 'h', default: false }
			}
		});
	} catch (err) {
		fail((err as Error).message);
	}
})();

if (values.help) {
	console.log(USAGE);
	process.exit(0);
}
if (!values.url) fail('--url is required');
if (!values.key) fail('--key is required');
let baseUrl: URL;
try {
	baseUrl = new URL(values.url);
} catch {
	fail(`--url is not a URL: "${values.url}"`);
}
const key = values.key;
const rate = positive('rate', values.rate, 1);
const burstSize = values.burst ? positive('burst-size', values['burst-size'], 10, true) : 1;
const countArg = values.count === undefined ? null : positive('count', values.count, 0, true);
const recorderChoice = values.recorder ?? 'both';
if (!['trunk-recorder', 'sdrtrunk', 'both'].includes(recorderChoice))
	fail(`--recorder must be trunk-recorder, sdrtrunk or both`);

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'samples', 'calls.json'), 'utf8')) as {
	calls: Sample[];
};
const samples = manifest.calls.filter(
	(s) => recorderChoice === 'both' || s.recorder === recorderChoice
);
const audio = new Map(
	samples.map((s) => [s.file, fs.readFileSync(path.join(root, 'samples', s.file))])
);

/** Both recorders append /api/call-upload to what the user typed (a trailing slash gives //api/…). */
const uploadUrl = new URL(baseUrl.href.replace(/\/?$/, '') + '/api/call-upload');

interface Reply {
	status: number;
	body: string;
}

function send(form: Multipart, recorder: Sample['recorder']): Promise<Reply> {
	const headers: Record<string, string | number> = {
		'Content-Type': form.contentType,
		'Content-Length': form.body.length
	};
	if (recorder === 'trunk-recorder') {
		headers['User-Agent'] = 'TrunkRecorder1.0';
		headers['Accept'] = '*/*';
	} else {
		headers['User-Agent'] = 'sdrtrunk';
		if (uploadUrl.protocol === 'http:') {
			// Java's HttpClient asks to upgrade plain-http requests to HTTP/2.
			headers['Connection'] = 'Upgrade, HTTP2-Settings';
			headers['Upgrade'] = 'h2c';
			headers['HTTP2-Settings'] = 'AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA';
		}
	}
	const client = uploadUrl.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const req = client.request(uploadUrl, { method: 'POST', headers, agent: false }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => (body += chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('upgrade', (res, socket) => {
			socket.destroy();
			reject(new Error(`server switched protocols (${res.statusCode}); Squelch never does`));
		});
		req.on('error', reject);
		req.end(form.body);
	});
}

/** The dateTime of each talkgroup's last call: never reuse one within the duplicate window. */
const lastSent = new Map<string, number>();

function nextTime(sample: Sample): number {
	const id = `${sample.system}/${sample.talkgroup}`;
	const now = Math.floor(Date.now() / 1000);
	const at = Math.max(now, (lastSent.get(id) ?? 0) + 3);
	lastSent.set(id, at);
	return at;
}

function formFor(sample: Sample): Multipart {
	const bytes = audio.get(sample.file)!;
	const dateTime = nextTime(sample);
	if (sample.recorder === 'sdrtrunk') {
		return sdrtrunkCall({
			key,
			system: sample.system,
			dateTime,
			talkgroup: sample.talkgroup,
			source: sample.source ?? 0,
			frequency: sample.frequency,
			talkerAlias: sample.talkerAlias,
			talkgroupLabel: sample.talkgroupLabel,
			talkgroupGroup: sample.talkgroupGroup,
			systemLabel: sample.systemLabel,
			audio: bytes,
			filename: sample.file
		});
	}
	return trunkRecorderForm({
		key,
		audio: bytes,
		audioName: sample.file,
		audioType: sample.file.endsWith('.m4a') ? 'audio/mp4' : 'audio/wav',
		dateTime,
		system: sample.system,
		systemLabel: sample.systemLabel,
		talkgroup: sample.talkgroup,
		talkgroupLabel: sample.talkgroupLabel,
		talkgroupName: sample.talkgroupName,
		talkgroupGroup: sample.talkgroupGroup,
		talkgroupTag: sample.talkgroupTag,
		frequency: sample.frequency,
		// Trunk-Recorder's own formatting, including its unescaped "tag".
		sources: `[${(sample.sources ?? []).map((s) => `{ "pos": 0.00, "src": ${s.src}${s.tag ? `, "tag": "${s.tag}"` : ''} }`).join(', ')}]`
	});
}

const stats = { imported: 0, duplicate: 0, failed: 0 };
let order: Sample[] = [];

function nextSample(): Sample {
	if (!order.length) order = [...samples].sort(() => Math.random() - 0.5);
	return order.pop()!;
}

async function playOne(): Promise<void> {
	const sample = nextSample();
	const label = `system ${sample.system} talkgroup ${sample.talkgroup} (${sample.talkgroupLabel ?? ''}) as ${sample.recorder}`;
	try {
		const reply = await send(formFor(sample), sample.recorder);
		const text = reply.body.trim();
		if (reply.status === 200 && text.includes('Call imported successfully.')) stats.imported++;
		else if (reply.status === 200 && text.includes('duplicate call rejected')) stats.duplicate++;
		else stats.failed++;
		console.log(`${reply.status === 200 ? '✓' : '✗'} ${reply.status} ${text} — ${label}`);
	} catch (err) {
		stats.failed++;
		console.log(`✗ ${(err as Error).message} — ${label}`);
	}
}

function summary() {
	console.log(
		`\n${stats.imported} imported, ${stats.duplicate} duplicate, ${stats.failed} failed.`
	);
}

process.on('SIGINT', () => {
	summary();
	process.exit(stats.failed ? 1 : 0);
});

// One pass of the samples unless told otherwise: a first run ends on its own with a summary.
const count = countArg ?? (values.loop ? Infinity : samples.length);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
	if (!samples.length) fail('no samples for that recorder');
	console.log(`Squelch simulator → ${uploadUrl.href}`);
	const test = await send(sdrtrunkKeyTest(key, samples[0].system), 'sdrtrunk').catch((err: Error) =>
		fail(`cannot reach ${uploadUrl.href}: ${err.message}`)
	);
	if (!test.body.toLowerCase().startsWith('incomplete call data: no talkgroup')) {
		console.error(
			`The key test failed (${test.status} ${test.body.trim()}). Check --key: create one under Admin → Upload keys.`
		);
		process.exit(1);
	}
	console.log('Key test passed (as SDRTrunk checks it).');

	let sent = 0;
	while (sent < count) {
		const batch = Math.min(burstSize, count - sent);
		const started = Date.now();
		await Promise.all(Array.from({ length: batch }, () => playOne()));
		sent += batch;
		if (sent < count) await sleep(Math.max(0, (batch / rate) * 1000 - (Date.now() - started)));
	}
	summary();
	process.exit(stats.failed ? 1 : 0);
}

void main();

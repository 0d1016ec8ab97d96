import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestServer } from './server';
import { createAndSignIn, signInAdmin } from './client';
import {
	curlForm,
	fixture,
	openServerDb,
	sdrtrunkKeyTest,
	setSetting,
	trunkRecorderForm,
	WAV,
	type Multipart
} from './recorders';

/**
 * The same script of requests to the audio and upload endpoints, sent as raw bytes on fresh
 * sockets, with every reply recorded (status line, headers, body) plus what the server left
 * behind (calls, event log, incoming files). Run against two servers that start from nothing, it
 * shows whether they answer identically: the production hot path and SvelteKit alone.
 */

export interface RawReply {
	statusLine: string;
	/** Lower-cased names, in wire order. */
	headers: Array<[string, string]>;
	body: Buffer;
}

/** One HTTP/1.1 exchange on a fresh socket (`Connection: close`), read until the server closes. */
export function rawExchange(
	port: number,
	head: string,
	body: Buffer = Buffer.alloc(0)
): Promise<RawReply> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1');
		const chunks: Buffer[] = [];
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`no complete reply to ${head.split('\r\n')[0]}`));
		}, 15_000);
		socket.on('data', (c) => chunks.push(c));
		socket.on('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		socket.on('end', () => {
			clearTimeout(timer);
			try {
				resolve(parseReply(Buffer.concat(chunks), head.startsWith('HEAD ')));
			} catch (err) {
				reject(err);
			}
		});
		socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
	});
}

function parseReply(data: Buffer, isHead: boolean): RawReply {
	const end = data.indexOf('\r\n\r\n');
	if (end < 0) throw new Error(`no reply head in: ${data.toString('latin1').slice(0, 200)}`);
	const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
	const headers = lines.map((line): [string, string] => {
		const colon = line.indexOf(':');
		return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
	});
	let rest = data.subarray(end + 4);
	const get = (name: string) => headers.find(([n]) => n === name)?.[1];
	if (isHead || /^HTTP\/1\.1 (1\d\d|204|304)/.test(statusLine)) rest = Buffer.alloc(0);
	else if (get('transfer-encoding') === 'chunked') rest = dechunk(rest);
	else if (get('content-length') !== undefined)
		rest = rest.subarray(0, Number(get('content-length')));
	return { statusLine, headers, body: rest };
}

function dechunk(data: Buffer): Buffer {
	const out: Buffer[] = [];
	let at = 0;
	for (;;) {
		const lineEnd = data.indexOf('\r\n', at);
		const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
		if (!size) break;
		out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
		at = lineEnd + 2 + size + 2;
	}
	return Buffer.concat(out);
}

/** Framing and per-run values are left out; everything a client acts on stays. */
const FRAMING = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

export interface ComparableReply {
	name: string;
	statusLine: string;
	/** Sorted by name; etag and last-modified reduced to their shape. */
	headers: Array<[string, string]>;
	/** Text bodies as text, audio as length + sha256. */
	body: string;
	/**
	 * How the body was delimited. Not part of the comparison: the hot path sends a text reply with
	 * its Content-Length in one write, SvelteKit streams it chunked — which also tells who answered.
	 */
	framing: 'content-length' | 'chunked' | 'none';
}

/** A page's CSP nonce is new on every reply (and so is its etag, a hash of the body). */
const NONCE = /nonce(=|-)"?[A-Za-z0-9+/=]+"?/g;
const withoutNonce = (text: string) => text.replace(NONCE, 'nonce$1<nonce>');

function comparable(name: string, reply: RawReply): ComparableReply {
	const nonced = reply.headers.some(
		([n, v]) => n === 'content-security-policy' && v.includes("'nonce-")
	);
	const headers = reply.headers
		.filter(([n]) => !FRAMING.has(n))
		// A text reply may be framed by Content-Length or chunked; when given it must be exact.
		.filter(([n, v]) => {
			if (n !== 'content-length') return true;
			const isText = reply.headers.some(([h, t]) => h === 'content-type' && t.startsWith('text/'));
			if (isText && !name.startsWith('HEAD') && Number(v) !== reply.body.length)
				throw new Error(`${name}: content-length ${v} but ${reply.body.length} bytes`);
			return !isText;
		})
		.map(([n, v]): [string, string] => {
			if (n === 'etag' && nonced) return [n, '<page etag>'];
			if (n === 'etag') return [n, /^"\d+-[0-9a-z]+-[0-9a-z]+"$/.test(v) ? '<etag>' : v];
			if (n === 'content-security-policy') return [n, withoutNonce(v)];
			if (n === 'last-modified') return [n, Number.isFinite(Date.parse(v)) ? '<date>' : v];
			return [n, v];
		})
		.sort(([a, av], [b, bv]) => (a === b ? av.localeCompare(bv) : a.localeCompare(b)));
	const type = reply.headers.find(([n]) => n === 'content-type')?.[1] ?? '';
	const body = type.startsWith('audio/')
		? `${reply.body.length} bytes sha256:${crypto.createHash('sha256').update(reply.body).digest('hex').slice(0, 16)}`
		: withoutNonce(reply.body.toString('utf8'));
	const has = (h: string) => reply.headers.some(([n]) => n === h);
	const framing = has('transfer-encoding')
		? 'chunked'
		: has('content-length')
			? 'content-length'
			: 'none';
	return { name, statusLine: reply.statusLine, headers, body, framing };
}

export interface MatrixResult {
	replies: ComparableReply[];
	/** Left behind: the event log (type + data), call rows, incoming files. */
	events: Array<{ type: string; data: unknown }>;
	calls: Array<{ id: number; audio_size: number; audio_type: string }>;
	incoming: string[];
}

const request = (method: string, target: string, headers: Record<string, string> = {}) =>
	`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
		.map(([k, v]) => `${k}: ${v}\r\n`)
		.join('')}Connection: close\r\n\r\n`;

const multipart = (
	method: string,
	target: string,
	form: Multipart,
	headers: Record<string, string> = {}
) =>
	[
		request(method, target, {
			'Content-Type': form.contentType,
			'Content-Length': String(form.body.length),
			...headers
		}),
		form.body
	] as const;

/** Polls until the server has finished its follow-up work (event log rows written after replies). */
async function settled<T>(read: () => T, same: (a: T, b: T) => boolean): Promise<T> {
	let last = read();
	for (let i = 0; i < 50; i++) {
		await new Promise((r) => setTimeout(r, 100));
		const next = read();
		if (same(last, next)) return next;
		last = next;
	}
	return last;
}

/**
 * Runs the script against a server that has just started from an empty DATA_DIR. The same server
 * state is built first (an admin, keys, a listener with no grants, one call), so ids match between
 * runs.
 */
export async function runReplyMatrix(server: TestServer): Promise<MatrixResult> {
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'matrix' });
	const { key: limitedKey } = await admin.client.admin.apiKeys.create.mutate({
		name: 'limited',
		rateLimit: 1,
		systems: [7]
	});
	const listener = await createAndSignIn(server.url, admin.client, 'nogrants');
	const audio = fixture(WAV);
	// The cap is exactly the fixture's size: every upload below sits on it, one byte more is over.
	setSetting(server.dataDir, 'maxUploadBytes', audio.length);
	const tr = (over: Partial<Parameters<typeof trunkRecorderForm>[0]> = {}) =>
		trunkRecorderForm({
			key,
			audio,
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718145678,
			system: 7,
			systemLabel: 'County',
			talkgroup: 70,
			...over
		});

	const replies: ComparableReply[] = [];
	const send = async (name: string, head: string, body?: Buffer) => {
		const reply = await rawExchange(server.port, head, body);
		replies.push(comparable(name, reply));
		return reply;
	};

	// Uploads: every outcome the endpoint has, on the path variants recorders use.
	await send('upload ok (doubled slash)', ...multipart('POST', '//api/call-upload', tr()));
	await send('upload duplicate', ...multipart('POST', '/api/call-upload', tr()));
	await send(
		'upload legacy path + trailing slash + query',
		...multipart('POST', '/api/trunk-recorder-call-upload/?x=1', tr({ dateTime: 1718145700 }))
	);
	await send(
		'upload bad key',
		...multipart('POST', '/api/call-upload', tr({ key: 'sq_nope', dateTime: 1718145710 }))
	);
	await send(
		'upload key from ?key=',
		...multipart(
			'POST',
			`/api/call-upload?key=${encodeURIComponent(key)}`,
			curlForm([{ name: 'system', value: '7' }])
		)
	);
	await send(
		'upload key from X-API-Key',
		...multipart(
			'POST',
			'/api/call-upload',
			curlForm([
				{ name: 'system', value: '7' },
				{ name: 'talkgroup', value: '70' }
			]),
			{ 'X-API-Key': key }
		)
	);
	await send(
		'sdrtrunk key test',
		...multipart('POST', '/api/call-upload', sdrtrunkKeyTest(key, 7))
	);
	await send(
		'upload unsupported audio',
		...multipart(
			'POST',
			'/api/call-upload',
			curlForm([
				{ name: 'key', value: key },
				{ name: 'system', value: '7' },
				{ name: 'talkgroup', value: '70' },
				{ name: 'dateTime', value: '1718145720' },
				{ name: 'audio', file: Buffer.alloc(200, 7), filename: 'x.bin' }
			])
		)
	);
	await send(
		'upload limited key 1',
		...multipart('POST', '/api/call-upload', tr({ key: limitedKey, dateTime: 1718145730 }))
	);
	await send(
		'upload limited key 2 (rate limited)',
		...multipart('POST', '/api/call-upload', tr({ key: limitedKey, dateTime: 1718145740 }))
	);
	await send(
		'upload key not for this system',
		...multipart(
			'POST',
			'/api/call-upload',
			tr({ key: limitedKey, system: 8, dateTime: 1718145750 })
		)
	);
	await send(
		'upload audio one byte over the cap',
		...multipart(
			'POST',
			'/api/call-upload',
			tr({ audio: Buffer.concat([audio, Buffer.alloc(1)]), dateTime: 1718145752 })
		)
	);
	await send(
		'upload wrong X-API-Key, refused before the body',
		...multipart('POST', '/api/call-upload', tr({ dateTime: 1718145754 }), {
			'X-API-Key': 'sq_wrong'
		})
	);
	await send(
		'upload wrong key field after the audio',
		...multipart('POST', '/api/call-upload', tr({ key: 'sq_wrong', dateTime: 1718145756 }))
	);
	await send(
		'upload too many fields',
		...multipart(
			'POST',
			'/api/call-upload',
			curlForm([
				{ name: 'key', value: key },
				...Array.from({ length: 60 }, (_, i) => ({ name: `extra${i}`, value: String(i) }))
			])
		)
	);
	await send(
		'upload sources over its limit',
		...multipart(
			'POST',
			'/api/call-upload',
			tr({ sources: `[${'{"pos": 0.00, "src": 1234567},'.repeat(3000)}]`, dateTime: 1718145758 })
		)
	);
	await send(
		'upload truncated multipart',
		request('POST', '/api/call-upload', {
			'Content-Type': tr().contentType,
			'Content-Length': '5000'
		}),
		tr().body.subarray(0, 5000)
	);
	await send(
		'upload no boundary',
		...multipart('POST', '/api/call-upload', { ...tr(), contentType: 'multipart/form-data' })
	);
	await send(
		'upload empty multipart',
		request('POST', '/api/call-upload', { 'Content-Type': tr().contentType, 'Content-Length': '0' })
	);
	await send(
		'upload json',
		request('POST', '/api/call-upload', {
			'Content-Type': 'application/json',
			'Content-Length': '2'
		}),
		Buffer.from('{}')
	);
	await send(
		'upload no content type',
		request('POST', '/api/call-upload', { 'Content-Length': '2' }),
		Buffer.from('{}')
	);
	await send(
		'upload h2c upgrade (SDRTrunk over http)',
		...multipart('POST', '/api/call-upload', tr({ dateTime: 1718145760 }), {
			Connection: 'Upgrade, HTTP2-Settings',
			Upgrade: 'h2c',
			'HTTP2-Settings': 'AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA'
		})
	);
	for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])
		await send(`${method} upload path`, request(method, '/api/call-upload'));
	await send(
		'GET upload path, doubled slash and trailing slash',
		request('GET', '//api/trunk-recorder-call-upload/')
	);
	await send(
		'POST /api/call-upload//',
		...multipart('POST', '/api/call-upload//', tr({ dateTime: 1718145770 }))
	);
	await send(
		'POST /api/call-uploadx',
		...multipart('POST', '/api/call-uploadx', tr({ dateTime: 1718145780 }))
	);

	// Audio: the first call (id 1).
	const db = openServerDb(server.dataDir);
	const first = db.prepare('select id from calls order by id limit 1').get() as { id: number };
	db.close();
	const url = `/api/calls/${first.id}/audio`;
	const bearer = { Authorization: `Bearer ${admin.token}` };
	const whole = await send('audio GET bearer', request('GET', url, bearer));
	const etag = whole.headers.find(([n]) => n === 'etag')![1];
	const lastModified = whole.headers.find(([n]) => n === 'last-modified')![1];
	await send('audio HEAD bearer', request('HEAD', url, bearer));
	await send('audio GET with query', request('GET', `${url}?v=2`, bearer));
	await send('audio range', request('GET', url, { ...bearer, Range: 'bytes=100-1123' }));
	await send('audio suffix range', request('GET', url, { ...bearer, Range: 'bytes=-500' }));
	await send(
		'audio open range',
		request('GET', url, { ...bearer, Range: `bytes=${audio.length - 10}-` })
	);
	await send(
		'audio range beyond',
		request('GET', url, { ...bearer, Range: `bytes=${audio.length}-` })
	);
	await send('audio HEAD range', request('HEAD', url, { ...bearer, Range: 'bytes=0-9' }));
	await send(
		'audio multi-range ignored',
		request('GET', url, { ...bearer, Range: 'bytes=0-1,5-6' })
	);
	await send('audio if-none-match', request('GET', url, { ...bearer, 'If-None-Match': etag }));
	await send(
		'audio if-none-match weak',
		request('GET', url, { ...bearer, 'If-None-Match': `W/${etag}` })
	);
	await send(
		'audio if-none-match other',
		request('GET', url, { ...bearer, 'If-None-Match': '"other"' })
	);
	await send(
		'audio if-modified-since',
		request('GET', url, { ...bearer, 'If-Modified-Since': lastModified })
	);
	await send(
		'audio if-range matching',
		request('GET', url, { ...bearer, Range: 'bytes=0-9', 'If-Range': etag })
	);
	await send(
		'audio if-range stale',
		request('GET', url, { ...bearer, Range: 'bytes=0-9', 'If-Range': '"stale"' })
	);
	await send('audio access cookie', request('GET', url, { Cookie: `squelch_at=${admin.token}` }));
	await send(
		'audio access cookie among others',
		request('GET', url, { Cookie: `a=1; squelch_at=${admin.token}; b=2` })
	);
	await send('audio anonymous', request('GET', url));
	await send('audio bad bearer', request('GET', url, { Authorization: 'Bearer not-a-token' }));
	await send('audio bad cookie', request('GET', url, { Cookie: 'squelch_at=nope' }));
	await send(
		'audio listener without grants',
		request('GET', url, { Authorization: `Bearer ${listener.token}` })
	);
	await send('audio missing call', request('GET', '/api/calls/999999/audio', bearer));
	await send('audio non-numeric id', request('GET', '/api/calls/abc/audio', bearer));
	await send('audio huge id', request('GET', '/api/calls/1234567890123456/audio', bearer));
	await send('audio encoded id', request('GET', `/api/calls/%3${first.id}/audio`, bearer));
	for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS'])
		await send(`${method} audio`, request(method, url, bearer));
	await send('audio trailing slash', request('GET', `${url}/`, bearer));
	await send('audio doubled slash', request('GET', `/${url}`, bearer));
	await send('audiox', request('GET', `${url}x`, bearer));
	await listener.client.auth.logout.mutate();
	await send(
		'audio revoked session',
		request('GET', url, { Authorization: `Bearer ${listener.token}` })
	);

	const read = () => {
		const sdb = openServerDb(server.dataDir);
		try {
			return {
				events: (
					sdb
						.prepare(
							"select type, data from events where type in ('call.ingested', 'upload.rejected') order by id"
						)
						.all() as Array<{ type: string; data: string }>
				).map((e) => ({ type: e.type, data: JSON.parse(e.data) as unknown })),
				calls: sdb
					.prepare('select id, audio_size, audio_type from calls order by id')
					.all() as MatrixResult['calls'],
				incoming: fs.readdirSync(path.join(server.dataDir, 'recordings', '.incoming')).sort()
			};
		} finally {
			sdb.close();
		}
	};
	const left = await settled(read, (a, b) => JSON.stringify(a) === JSON.stringify(b));
	return { replies, ...left };
}

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Request bodies built byte for byte the way each recorder builds them (RECORDERS.md), and small
 * tools to send them and to look inside a test server's DATA_DIR.
 */

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/audio');
export const WAV = '12345-1718145678_851012500-call_17.wav';
export const M4A = '12346-1718145700.512_851262500.1-call_18.m4a';
export const MP3_SDRTRUNK = '20240615_143022.123.mp3';
export const MP3_OTHER = '1718461822-1.mp3';
export const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

export interface Multipart {
	body: Buffer;
	contentType: string;
}

/**
 * libcurl's form (curl_formadd): boundary of 24 dashes + 16 hex digits, the file part with
 * `Content-Type: application/octet-stream`, text parts without one.
 */
export function curlForm(parts: Array<{ name: string; value: string } | { name: string; file: Buffer; filename: string; contentType?: string }>): Multipart {
	const boundary = '------------------------' + '3f9c0a7d5e21b846';
	const chunks: Buffer[] = [];
	for (const part of parts) {
		if ('file' in part) {
			chunks.push(
				Buffer.from(
					`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
						`Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
					'latin1'
				),
				part.file,
				Buffer.from('\r\n')
			);
		} else {
			chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`, 'utf8'));
		}
	}
	chunks.push(Buffer.from(`--${boundary}--\r\n`));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface TrunkRecorderCall {
	key: string;
	audio: Buffer;
	audioName: string;
	audioType: 'audio/wav' | 'audio/mp4';
	dateTime: number;
	system: number;
	systemLabel: string;
	talkgroup: number;
	talkgroupLabel?: string;
	talkgroupName?: string;
	talkgroupGroup?: string;
	talkgroupTag?: string;
	frequency?: number;
	frequencies?: string;
	sources?: string;
	patches?: string;
}

/** Trunk-Recorder's rdioscanner_uploader: audio FIRST, then the fields in its order. */
export function trunkRecorderForm(c: TrunkRecorderCall): Multipart {
	return curlForm([
		{ name: 'audio', file: c.audio, filename: c.audioName },
		{ name: 'audioName', value: c.audioName },
		{ name: 'audioType', value: c.audioType },
		{ name: 'dateTime', value: String(c.dateTime) },
		{ name: 'frequencies', value: c.frequencies ?? '[]' },
		{ name: 'frequency', value: String(c.frequency ?? 851012500) },
		{ name: 'key', value: c.key },
		{ name: 'patches', value: c.patches ?? '[]' },
		{ name: 'talkgroup', value: String(c.talkgroup) },
		{ name: 'talkgroupGroup', value: c.talkgroupGroup ?? '' },
		{ name: 'talkgroupLabel', value: c.talkgroupLabel ?? '' },
		{ name: 'talkgroupTag', value: c.talkgroupTag ?? '' },
		{ name: 'talkgroupName', value: c.talkgroupName ?? '' },
		{ name: 'sources', value: c.sources ?? '[]' },
		{ name: 'system', value: String(c.system) },
		{ name: 'systemLabel', value: c.systemLabel }
	]);
}

export const SDRTRUNK_BOUNDARY = '--sdrtrunk-sdrtrunk-sdrtrunk';

/**
 * SDRTrunk's hand-built body: each text part as `--BOUNDARY\r\n` + disposition + value + `\r\n`,
 * then the audio part with `filename` BEFORE `name` and no Content-Type, then `\r\n` and the
 * closing boundary. Without audio (the key test) the `\r\n` still comes, so the last value reads
 * "1\r\n".
 */
export function sdrtrunkForm(fields: Array<[string, string]>, audio?: { bytes: Buffer; filename: string }): Multipart {
	let head = '';
	for (const [name, value] of fields) {
		head += `--${SDRTRUNK_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
	}
	if (audio) head += `--${SDRTRUNK_BOUNDARY}\r\nContent-Disposition: form-data; filename="${audio.filename}"; name="audio"\r\n\r\n`;
	const body = Buffer.concat([Buffer.from(head, 'utf8'), audio?.bytes ?? Buffer.alloc(0), Buffer.from(`\r\n--${SDRTRUNK_BOUNDARY}--\r\n`)]);
	return { body, contentType: `multipart/form-data; boundary=${SDRTRUNK_BOUNDARY}` };
}

export function sdrtrunkCall(c: {
	key: string;
	system: number;
	dateTime: number;
	talkgroup: number;
	source: number;
	talkerAlias?: string;
	talkgroupLabel?: string;
	talkgroupGroup?: string;
	systemLabel?: string;
	patches?: string;
	audio: Buffer;
	filename: string;
}): Multipart {
	return sdrtrunkForm(
		[
			['key', c.key],
			['system', String(c.system)],
			['dateTime', String(c.dateTime)],
			['talkgroup', String(c.talkgroup)],
			['source', String(c.source)],
			['frequency', '154430000'],
			['talkerAlias', c.talkerAlias ?? ''],
			['talkgroupLabel', c.talkgroupLabel ?? ''],
			['talkgroupGroup', c.talkgroupGroup ?? 'null'],
			['systemLabel', c.systemLabel ?? ''],
			['patches', c.patches ?? '[]']
		],
		{ bytes: c.audio, filename: c.filename }
	);
}

export interface Reply {
	status: number;
	body: string;
	headers: Headers;
}

export async function post(url: string, form: Multipart, headers: Record<string, string> = {}): Promise<Reply> {
	const res = await fetch(url, {
		method: 'POST',
		body: new Uint8Array(form.body),
		headers: { 'content-type': form.contentType, ...headers },
		redirect: 'manual'
	});
	return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Sends raw bytes on a fresh socket and reads one HTTP/1.1 response (Content-Length or chunked). */
export function rawHttp(port: number, head: string, body: Buffer): Promise<{ status: number; headers: string; body: string }> {
	return new Promise((resolve, reject) => {
		const socket = net.connect(port, '127.0.0.1');
		let data = Buffer.alloc(0);
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`no complete response; got: ${data.toString('latin1')}`));
		}, 15_000);
		const tryParse = () => {
			const text = data.toString('latin1');
			const end = text.indexOf('\r\n\r\n');
			if (end < 0) return;
			const headers = text.slice(0, end);
			let rest = text.slice(end + 4);
			const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]);
			const length = /\r\ncontent-length: (\d+)/i.exec(headers);
			if (length) {
				if (rest.length < Number(length[1])) return;
				rest = rest.slice(0, Number(length[1]));
			} else if (/\r\ntransfer-encoding: chunked/i.test(headers)) {
				if (!rest.includes('0\r\n\r\n')) return;
				let decoded = '';
				let cursor = rest;
				for (;;) {
					const lineEnd = cursor.indexOf('\r\n');
					const size = parseInt(cursor.slice(0, lineEnd), 16);
					if (!size) break;
					decoded += cursor.slice(lineEnd + 2, lineEnd + 2 + size);
					cursor = cursor.slice(lineEnd + 2 + size + 2);
				}
				rest = decoded;
			}
			clearTimeout(timer);
			socket.destroy();
			resolve({ status, headers, body: Buffer.from(rest, 'latin1').toString('utf8') });
		};
		socket.on('data', (chunk) => {
			data = Buffer.concat([data, chunk]);
			tryParse();
		});
		socket.on('error', reject);
		socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
	});
}

/** The test server's SQLite file, opened read-write next to the running server (WAL). */
export function openServerDb(dataDir: string) {
	const db = new Database(path.join(dataDir, 'squelch.db'));
	db.pragma('busy_timeout = 5000');
	return db;
}

export function setSetting(dataDir: string, key: string, value: unknown) {
	const db = openServerDb(dataDir);
	try {
		db.prepare('insert into settings (key, value, updated_at) values (?, ?, 0) on conflict(key) do update set value = excluded.value').run(
			key,
			JSON.stringify(value)
		);
	} finally {
		db.close();
	}
}

export function countRows(dataDir: string, table: string): number {
	const db = openServerDb(dataDir);
	try {
		return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
	} finally {
		db.close();
	}
}

/** Every file under DATA_DIR/recordings (including .incoming), relative to it. */
export function recordingFiles(dataDir: string): string[] {
	const root = path.join(dataDir, 'recordings');
	if (!fs.existsSync(root)) return [];
	return fs
		.readdirSync(root, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile())
		.map((e) => path.relative(root, path.join(e.parentPath, e.name)))
		.sort();
}

export async function waitFor<T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (ok(value) || Date.now() > deadline) return value;
		await new Promise((r) => setTimeout(r, 50));
	}
}

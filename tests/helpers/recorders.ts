import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { openServerDb } from './server-db';

/**
 * Recorder-shaped request bodies (built in src/lib/server/calls/recorder-forms.ts, shared with the simulator)
 * and small tools to send them and to look inside a test server's DATA_DIR.
 */

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/audio');
export const WAV = '12345-1718145678_851012500-call_17.wav';
export const M4A = '12346-1718145700.512_851262500.1-call_18.m4a';
export const MP3_SDRTRUNK = '20240615_143022.123.mp3';
export const MP3_OTHER = '1718461822-1.mp3';
export const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name));

export {
	curlForm,
	trunkRecorderForm,
	sdrtrunkForm,
	sdrtrunkCall,
	sdrtrunkKeyTest,
	SDRTRUNK_BOUNDARY
} from '../../src/lib/server/calls/recorder-forms';
export type {
	Multipart,
	TrunkRecorderCall,
	SdrtrunkCall
} from '../../src/lib/server/calls/recorder-forms';
import type { Multipart } from '../../src/lib/server/calls/recorder-forms';

export interface Reply {
	status: number;
	body: string;
	headers: Headers;
}

export async function post(
	url: string,
	form: Multipart,
	headers: Record<string, string> = {}
): Promise<Reply> {
	const res = await fetch(url, {
		method: 'POST',
		body: new Uint8Array(form.body),
		headers: { 'content-type': form.contentType, ...headers },
		redirect: 'manual'
	});
	return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Sends raw bytes on a fresh socket and reads one HTTP/1.1 response (Content-Length or chunked). */
export function rawHttp(
	port: number,
	head: string,
	body: Buffer
): Promise<{ status: number; headers: string; body: string }> {
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

export { openServerDb };

export function setSetting(dataDir: string, key: string, value: unknown) {
	const db = openServerDb(dataDir);
	try {
		db.prepare(
			'insert into settings (key, value, updated_at) values (?, ?, 0) on conflict(key) do update set value = excluded.value'
		).run(key, JSON.stringify(value));
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

export async function waitFor<T>(
	probe: () => T | Promise<T>,
	ok: (value: T) => boolean,
	timeoutMs = 10_000
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (ok(value) || Date.now() > deadline) return value;
		await new Promise((r) => setTimeout(r, 50));
	}
}

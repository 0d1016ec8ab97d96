/**
 * The baselines, in their own process: a bare Node HTTP server and a minimal `ws` broadcaster.
 * - POST /upload streams the body to a file (one per request), answers 200, then sends every
 *   WebSocket client a message shaped like a tRPC `data` message and padded to the size of the
 *   real one, carrying the upload's dateTime.
 * - GET /audio serves the fixture WAV with the headers Squelch sends, with no auth check.
 * - WebSocket on any path: accepted, incoming messages ignored.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { WAV_PATH } from './load';

const payloadBytes = Number(process.env.BENCH_PAYLOAD_BYTES ?? 1500);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-bench-baseline-'));
let uploads = 0;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function broadcast(dateTime: number) {
	if (wss.clients.size === 0) return;
	const iso = new Date(dateTime * 1000).toISOString();
	// The shape of a tracked() event as tRPC sends it, padded to the real message's size.
	const head = `{"id":1,"result":{"type":"data","data":{"json":{"id":"${dateTime}","data":{"dateTime":"${iso}","pad":"`;
	const tail = `"}},"meta":{"values":{"data.dateTime":["Date"]},"v":1}},"id":"${dateTime}"}}`;
	const message = head + 'x'.repeat(Math.max(0, payloadBytes - head.length - tail.length)) + tail;
	for (const ws of wss.clients) ws.send(message);
}

function upload(req: http.IncomingMessage, res: http.ServerResponse) {
	const file = path.join(dir, `${++uploads}.upload`);
	const out = fs.createWriteStream(file);
	// The dateTime part follows the audio in Trunk-Recorder's order: keep the tail of the body.
	let tail = '';
	req.on('data', (chunk: Buffer) => {
		tail = (tail + chunk.toString('latin1')).slice(-4096);
	});
	req.pipe(out);
	out.on('finish', () => {
		res
			.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
			.end('Call imported successfully.');
		const dateTime = /name="dateTime"\r\n\r\n(\d+)/.exec(tail);
		if (dateTime) broadcast(Number(dateTime[1]));
	});
	out.on('error', () => res.writeHead(500).end());
}

async function audio(res: http.ServerResponse) {
	const stat = await fs.promises.stat(WAV_PATH);
	res.writeHead(200, {
		'content-type': 'audio/wav',
		'accept-ranges': 'bytes',
		'content-length': String(stat.size),
		'cache-control': 'private, no-cache',
		etag: `"1-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`,
		'last-modified': new Date(Math.floor(stat.mtimeMs / 1000) * 1000).toUTCString()
	});
	fs.createReadStream(WAV_PATH).pipe(res);
}

const server = http.createServer((req, res) => {
	if (req.method === 'POST' && req.url === '/upload') return upload(req, res);
	if (req.method === 'GET' && req.url === '/audio') return void audio(res);
	res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) =>
	wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', () => {}))
);
server.listen(0, '127.0.0.1', () =>
	process.send!({ port: (server.address() as { port: number }).port })
);

const stop = () => {
	fs.rmSync(dir, { recursive: true, force: true });
	process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);

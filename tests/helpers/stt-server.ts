import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

/**
 * A speech-to-text server of the test's own on loopback that speaks the OpenAI transcription API
 * (`POST /v1/audio/transcriptions`, multipart): each request is kept with its fields and file
 * bytes; answers come from the test's script, else a verbose_json transcript of `says(request)`.
 */
export interface SttRequest {
	path: string;
	authorization: string | undefined;
	fields: Record<string, string>;
	file: { name: string; mime: string; bytes: Buffer } | null;
}

export type SttReply =
	| {
			status: number;
			json?: unknown;
			headers?: Record<string, string>;
			/** Answer only once this settles (the test decides when the transcript arrives). */
			after?: Promise<unknown>;
	  }
	/** Never answer (a request past the client's timeout); the socket is closed at close(). */
	| 'hang';

export interface SttServer {
	/** The base URL Squelch is given (it appends /v1/audio/transcriptions). */
	url: string;
	requests: SttRequest[];
	/** Replies to the next requests, in order; afterwards the default transcript. */
	script(replies: SttReply[]): void;
	/** Resolves when `n` requests have arrived. */
	received(n: number): Promise<void>;
	close(): Promise<void>;
}

/** A verbose_json answer as faster-whisper-server and OpenAI give it. */
export function verboseJson(segments: Array<{ start: number; end: number; text: string }>) {
	return {
		task: 'transcribe',
		language: 'english',
		duration: segments.length ? segments[segments.length - 1].end : 0,
		text: segments.map((s) => s.text).join(''),
		segments: segments.map((s, id) => ({
			id,
			seek: 0,
			start: s.start,
			end: s.end,
			text: s.text,
			tokens: [],
			temperature: 0,
			avg_logprob: -0.2,
			compression_ratio: 1.2,
			no_speech_prob: 0.01
		}))
	};
}

function readForm(req: http.IncomingMessage): Promise<Omit<SttRequest, 'path' | 'authorization'>> {
	return new Promise((resolve, reject) => {
		const fields: Record<string, string> = {};
		let file: SttRequest['file'] = null;
		const parser = busboy({ headers: req.headers });
		parser.on('field', (name, value) => (fields[name] = value));
		parser.on('file', (_name, stream, info) => {
			const chunks: Buffer[] = [];
			stream.on('data', (c: Buffer) => chunks.push(c));
			stream.on('end', () => {
				file = { name: info.filename ?? '', mime: info.mimeType, bytes: Buffer.concat(chunks) };
			});
		});
		parser.on('close', () => resolve({ fields, file }));
		parser.on('error', reject);
		req.pipe(parser);
	});
}

export async function startSttServer(
	says: (request: SttRequest) => Array<{ start: number; end: number; text: string }> = () => [
		{ start: 0, end: 1.2, text: ' Engine 5 on scene.' }
	]
): Promise<SttServer> {
	const requests: SttRequest[] = [];
	let replies: SttReply[] = [];
	const waiters: Array<{ n: number; resolve: () => void }> = [];
	const server = http.createServer(async (req, res) => {
		const form = await readForm(req).catch(() => ({ fields: {}, file: null }));
		const request: SttRequest = {
			path: req.url ?? '',
			authorization: req.headers.authorization,
			...form
		};
		requests.push(request);
		for (const w of waiters.filter((w) => requests.length >= w.n)) {
			waiters.splice(waiters.indexOf(w), 1);
			w.resolve();
		}
		const reply = replies.shift();
		if (reply === 'hang') return;
		if (reply?.after) await reply.after;
		if (req.method !== 'POST' || request.path !== '/v1/audio/transcriptions') {
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: { message: 'not found' } }));
			return;
		}
		const status = reply?.status ?? 200;
		const json = reply ? reply.json : verboseJson(says(request));
		res.writeHead(status, { 'content-type': 'application/json', ...(reply?.headers ?? {}) });
		res.end(JSON.stringify(json ?? { error: { message: `status ${status}` } }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		script(next) {
			replies = [...next];
		},
		received(n) {
			if (requests.length >= n) return Promise.resolve();
			return new Promise((resolve) => waiters.push({ n, resolve }));
		},
		async close() {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		}
	};
}

import fs from 'node:fs';
import { z } from 'zod';
import type { EngineResult, TranscribeRequest, TranscriptionEngine } from './engine';

/** The OpenAI transcription API, which faster-whisper-server, whisper.cpp's server and LocalAI also speak. */
export interface OpenAiOptions {
	/** e.g. https://api.openai.com or http://127.0.0.1:8000 (a trailing /v1 is accepted). */
	baseUrl: string;
	model: string;
	apiKey: string | null;
	timeoutMs: number;
	/** Epoch ms (the injectable clock), for a Retry-After given as a date. */
	now: () => number;
}

/** An answer larger than this is refused (a radio call's transcript is a few hundred bytes). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const MAX_SEGMENTS = 5000;

const verboseJson = z.object({
	text: z.string().max(1_000_000),
	language: z.string().max(50).nullish(),
	duration: z.number().nonnegative().nullish(),
	segments: z
		.array(
			z.object({
				start: z.number().nonnegative(),
				end: z.number().nonnegative(),
				text: z.string().max(100_000)
			})
		)
		.max(MAX_SEGMENTS)
		.nullish()
});

export function transcriptionsUrl(baseUrl: string): string {
	return `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/audio/transcriptions`;
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
	if (!header) return null;
	const value = header.trim();
	if (/^\d{1,7}$/.test(value)) return Number(value) * 1000;
	const at = Date.parse(value);
	return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

async function readCapped(res: Response): Promise<string> {
	if (!res.body) return '';
	const chunks: Uint8Array[] = [];
	let size = 0;
	for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
		size += chunk.byteLength;
		if (size > MAX_RESPONSE_BYTES)
			throw new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`);
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString('utf8');
}

/** The error text an OpenAI-style body carries ({ error: { message } }), else its start. */
function errorText(body: string): string {
	try {
		const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; detail?: unknown };
		const message =
			typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.detail);
		if (typeof message === 'string') return message.slice(0, 200);
	} catch {
		// Not JSON: the raw start below.
	}
	return body.slice(0, 200).replace(/\s+/g, ' ').trim();
}

const fail = (retry: boolean, reason: string, retryAfter: number | null = null): EngineResult => ({
	ok: false,
	retry,
	retryAfterMs: retryAfter,
	reason
});

export class OpenAiEngine implements TranscriptionEngine {
	readonly name = 'openai-compatible';

	constructor(private opts: OpenAiOptions) {}

	get model(): string {
		return this.opts.model;
	}

	async transcribe(req: TranscribeRequest): Promise<EngineResult> {
		const audio = await fs.promises.readFile(req.audioPath);
		const form = new FormData();
		form.append('file', new Blob([audio], { type: req.mimeType }), req.fileName);
		form.append('model', this.opts.model);
		form.append('response_format', 'verbose_json');
		if (req.language) form.append('language', req.language);
		const timeout = AbortSignal.timeout(this.opts.timeoutMs);
		const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
		let res: Response;
		let body: string;
		try {
			res = await fetch(transcriptionsUrl(this.opts.baseUrl), {
				method: 'POST',
				body: form,
				headers: this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {},
				signal,
				redirect: 'error'
			});
			body = await readCapped(res);
		} catch (err) {
			if (timeout.aborted) return fail(true, `no answer within ${this.opts.timeoutMs} ms`);
			const cause = (err as { cause?: { code?: string; message?: string } }).cause;
			return fail(true, `network: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
		}
		if (res.status === 429)
			return fail(
				true,
				`HTTP 429: ${errorText(body)}`,
				retryAfterMs(res.headers.get('retry-after'), this.opts.now())
			);
		if (res.status >= 500) return fail(true, `HTTP ${res.status}: ${errorText(body)}`);
		if (!res.ok) return fail(false, `HTTP ${res.status}: ${errorText(body)}`);
		let parsed: z.infer<typeof verboseJson>;
		try {
			parsed = verboseJson.parse(JSON.parse(body));
		} catch {
			return fail(false, 'the answer is not verbose_json (text and segments)');
		}
		const segments = (parsed.segments ?? [])
			.map((s) => ({ start: s.start, end: Math.max(s.start, s.end), text: s.text.trim() }))
			.filter((s) => s.text);
		return {
			ok: true,
			text: parsed.text.trim(),
			segments,
			language: parsed.language ?? null,
			duration: parsed.duration ?? null
		};
	}
}

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { parseBuffer, parseFile } from 'music-metadata';
import type { EventLogDeps } from '../core/event-log';
import { getSettings } from '../core/settings';
import { recordEventSoon } from '../core/event-batch';
import {
	findUploadKey,
	findUploadKeyById,
	keyAllowsSystem,
	touchApiKey,
	type UploadKey
} from './upload-keys';
import { textReply as reply, type FollowUp, type Reply } from './reply';
import { detectAudioType } from './audio-type';
import {
	cleanLabel,
	parseDateTime,
	parseFrequencies,
	parseFrequency,
	parseFlag,
	parsePatches,
	parseRadioId,
	parseSources
} from './fields';
import {
	MultipartError,
	parseMultipart,
	StorageError,
	tempPathFor,
	type UploadedFile
} from './multipart';
import { storeCall, type IncomingCall } from './ingest';
import { incomingDir } from './storage';
import { UploadRateLimiter } from './rate-limit';
import { RejectionLog } from './rejection-log';
import type { AudioPipeline } from './audio-pipeline/worker';
import { MAX_TAG_CHARS } from './upload-limits';
import { wavDuration } from './wav-duration';

/**
 * The recorder upload endpoint (docs/recorders.md): rdio-scanner's protocol as Trunk-Recorder,
 * SDRTrunk and voxcall speak it. Replies are plain text with the exact wording those programs
 * look for. Served by the production hot path (http/hot-routes.ts) and the SvelteKit routes alike;
 * publishing and the admin log are handed back as follow-ups, which the caller runs once the
 * reply is on its way.
 */

/** An audio part of this many bytes or fewer is "no audio" (an empty WAV header is 44). */
const MIN_AUDIO_BYTES = 45;

export const REPLY = {
	imported: 'Call imported successfully.',
	duplicate: 'duplicate call rejected',
	badKey: (system: number, talkgroup: number) =>
		`Invalid API key for system ${system} talkgroup ${talkgroup}.`,
	incomplete: (reason: string) => `Incomplete call data: ${reason}`,
	serverError: 'Server error: the call was not stored; try again later.'
} as const;

/** Incoming directories known to exist (created at start-up by the sweep, or on first use). */
const readyDirs = new Set<string>();

/** What an upload needs: the platform, where recordings go, the process's limiter and rejection log. */
export interface UploadDeps extends EventLogDeps {
	config: { recordingsDir: string };
	uploadLimiter: UploadRateLimiter;
	/** The process's aggregated upload.rejected log (started and stopped by app.ts). */
	rejectionLog: RejectionLog;
	/** The audio pipeline: whether it can encode, and its wake-up for a newly queued call. */
	pipeline: Pick<AudioPipeline, 'ffmpeg' | 'kick'>;
}

export interface UploadRequest {
	method: string;
	/** A request header by lower-case name, or null. */
	header(name: string): string | null;
	/** The request body, or null when there is none (as SvelteKit decides: no Content-Type, length 0…). */
	body: Readable | null;
	/** The query string (`?key=`). */
	query: URLSearchParams;
	ip: string;
	/**
	 * The upload key chosen by id, not sent as text (an admin's watch folder names a key whose
	 * text is stored only as a hash): the form's `key` is then ignored, every other check runs.
	 */
	uploadKeyId?: number;
}

export interface UploadOutcome {
	reply: Reply;
	/** Run after the reply has been handed to the client, never before (listeners must not hear a call first). */
	afterReply: FollowUp[];
}

/** Never throws: anything unexpected is a 500 the recorder will retry, with nothing stored. */
export async function handleUpload(
	svc: UploadDeps,
	request: UploadRequest
): Promise<UploadOutcome> {
	const afterReply: FollowUp[] = [];
	const rejected = (
		status: number,
		body: string,
		info: Record<string, unknown> = {},
		headers: Record<string, string> = {}
	) => {
		afterReply.push(() =>
			svc.rejectionLog.record({ status, reason: body, ip: request.ip, ...info })
		);
		return reply(status, body, headers);
	};
	try {
		return { reply: await receive(svc, request, { rejected, afterReply }), afterReply };
	} catch (err) {
		return { reply: serverError(err), afterReply };
	}
}

async function receive(
	svc: UploadDeps,
	request: UploadRequest,
	ctx: { rejected: Rejected; afterReply: FollowUp[] }
): Promise<Reply> {
	const { rejected } = ctx;
	if (request.method !== 'POST')
		return reply(405, 'Method not allowed: use POST.', { allow: 'POST' });
	const contentType = request.header('content-type') ?? '';
	if (!/^multipart\/form-data\b/i.test(contentType)) {
		request.body?.resume(); // not read: let it drain
		return rejected(400, 'Expected a multipart/form-data body.');
	}
	if (!request.body) return rejected(400, 'Malformed multipart body: empty request.');

	// A key in the header or query is known before the body: a wrong one is answered at once,
	// and none of the body is read, parsed or stored (the server drains or drops the rest).
	const keys = new KeyLookup(svc, request.uploadKeyId);
	const early =
		request.uploadKeyId === undefined
			? request.header('x-api-key') || request.query.get('key')
			: null;
	if (early && !(await keys.find(early))) {
		request.body.resume();
		return rejected(401, REPLY.badKey(0, 0));
	}

	const settings = await getSettings(svc.db);
	const fileId = randomUUID();
	const dir = incomingDir(svc.config.recordingsDir);
	const tmpPath = tempPathFor(dir, fileId);
	if (!readyDirs.has(dir)) {
		await fs.promises.mkdir(dir, { recursive: true });
		readyDirs.add(dir);
	}

	let parsed;
	try {
		parsed = await parseMultipart(request.body, contentType, {
			maxFileBytes: settings.maxUploadBytes,
			tmpPath,
			// The form's key, as soon as it arrives: a wrong one stops the audio going to disk.
			checkKey: early || keys.preset ? undefined : async (text) => (await keys.find(text)) !== null
		});
	} catch (err) {
		if (err instanceof MultipartError)
			return rejected(400, `Malformed multipart body: ${err.message}.`);
		if (err instanceof StorageError) return serverError(err);
		// The client went away mid-body; parseMultipart already removed the partial file.
		return reply(400, 'Upload aborted.');
	}

	const outcome = { stored: false };
	try {
		return await judge(svc, parsed.fields, parsed.file, {
			fileId,
			tooLarge: parsed.tooLarge,
			overLimit: parsed.overLimit,
			keyText: early || parsed.fields.get('key') || null,
			keys,
			settings,
			request,
			rejected,
			afterReply: ctx.afterReply,
			outcome
		});
	} catch (err) {
		return serverError(err);
	} finally {
		// A stored call's file was renamed into place; on every other outcome the temp file goes.
		if (!outcome.stored) await fs.promises.rm(tmpPath, { force: true }).catch(() => {});
	}
}

/** Looks each key text up once per upload (the form's key is checked mid-body, then judged). */
class KeyLookup {
	private found = new Map<string, Promise<UploadKey | null>>();
	private presetKey: Promise<UploadKey | null> | undefined;
	constructor(
		private svc: UploadDeps,
		/** The key chosen by id (folder ingest); the form's key text is then not looked at. */
		private presetId?: number
	) {}
	get preset(): boolean {
		return this.presetId !== undefined;
	}
	/** The key this upload is judged by: the preset one, else the key text's. */
	judged(text: string | null): Promise<UploadKey | null> {
		if (this.presetId !== undefined)
			return (this.presetKey ??= findUploadKeyById(this.svc.db, this.presetId));
		return text ? this.find(text) : Promise.resolve(null);
	}
	find(text: string): Promise<UploadKey | null> {
		let lookup = this.found.get(text);
		if (!lookup) this.found.set(text, (lookup = findUploadKey(this.svc.db, text)));
		return lookup;
	}
}

type Rejected = (
	status: number,
	body: string,
	info?: Record<string, unknown>,
	headers?: Record<string, string>
) => Reply;

async function judge(
	svc: UploadDeps,
	fields: Map<string, string>,
	file: UploadedFile | null,
	ctx: {
		fileId: string;
		tooLarge: boolean;
		overLimit: string | null;
		keyText: string | null;
		keys: KeyLookup;
		settings: Awaited<ReturnType<typeof getSettings>>;
		request: UploadRequest;
		rejected: Rejected;
		afterReply: FollowUp[];
		outcome: { stored: boolean };
	}
): Promise<Reply> {
	const { settings, rejected } = ctx;
	const field = (name: string) => fields.get(name);
	const systemRef = parseRadioId(field('system'));
	const talkgroupRef = parseRadioId(field('talkgroup'));
	const where = { system: systemRef, talkgroup: talkgroupRef };

	if (ctx.tooLarge)
		return rejected(
			413,
			`Audio larger than the ${settings.maxUploadBytes}-byte upload limit.`,
			where
		);
	if (ctx.overLimit) return rejected(413, `Upload refused: ${ctx.overLimit}.`, where);

	const key = await ctx.keys.judged(ctx.keyText);
	if (!key || (systemRef > 0 && !keyAllowsSystem(key, systemRef))) {
		return rejected(401, REPLY.badKey(systemRef, talkgroupRef), {
			...where,
			keyName: key?.name ?? null
		});
	}
	const keyInfo = { ...where, keyId: key.id, keyName: key.name };
	ctx.afterReply.push(() => touchApiKey(svc, key));

	const limiter = svc.uploadLimiter;
	const perMinute = key.rateLimit ?? settings.uploadRateLimitPerMinute;
	if (!limiter.take(key.id, perMinute)) {
		const retry = String(Math.max(1, limiter.retryAfterSec(key.id, perMinute)));
		return rejected(
			429,
			`Too many uploads for this API key (limit ${perMinute} per minute).`,
			keyInfo,
			{ 'retry-after': retry }
		);
	}

	// Every check runs and the last failing one is reported: SDRTrunk's key test (key, system,
	// test) must read "no talkgroup" to accept the key.
	const isKeyTest = (field('test') ?? '').trim() !== '';
	const dateTime = parseDateTime(field('dateTime'), field('timestamp'));
	let reason: string | null = null;
	if (!file || file.size < MIN_AUDIO_BYTES) reason = 'no audio';
	if (dateTime === null) reason = 'no datetime';
	if (systemRef === 0) reason = 'no system';
	if (talkgroupRef === 0) reason = 'no talkgroup';
	if (reason || !file || dateTime === null) {
		const body = REPLY.incomplete(reason ?? 'no audio');
		return isKeyTest ? reply(417, body) : rejected(417, body, keyInfo);
	}

	const type = detectAudioType({
		audioType: field('audioType'),
		audioMime: field('audioMime'),
		audioName: field('audioName'),
		fileName: file.fileName,
		head: file.head
	});
	if (!type)
		return rejected(
			415,
			'Unsupported audio format: send WAV, MP3, M4A/AAC, Ogg, FLAC or WebM audio.',
			keyInfo
		);

	const call = buildCall(fields, {
		systemRef,
		talkgroupRef,
		dateTime,
		file,
		type,
		fileId: ctx.fileId,
		key
	});
	call.duration = await readDuration(file);

	const encode = settings.audioPipeline && svc.pipeline.ffmpeg !== null;
	const result = await storeCall(svc, call, settings.duplicateWindowMs, encode);
	if (result.status === 'duplicate') return reply(200, REPLY.duplicate);
	if (result.status === 'unknown-talkgroup') {
		return rejected(
			417,
			REPLY.incomplete(
				`talkgroup ${talkgroupRef} is not configured on system ${systemRef} (auto-populate is off)`
			),
			keyInfo
		);
	}
	ctx.outcome.stored = true;
	const { callId, published, delayed } = result;
	ctx.afterReply.push(async () => {
		svc.bus.publish('call.ingested', { callId });
		if (published) svc.bus.publish('call.published', { count: 1, delayed });
		else svc.pipeline.kick();
		await recordEventSoon(svc, 'call.ingested', { callId, ...keyInfo });
	});
	return reply(200, REPLY.imported);
}

/** Nothing was stored (the caller removes the temp file); the recorder will retry. */
function serverError(err: unknown): Reply {
	console.error('upload failed:', err instanceof Error ? err.message : err);
	return reply(500, REPLY.serverError);
}

function buildCall(
	fields: Map<string, string>,
	p: {
		systemRef: number;
		talkgroupRef: number;
		dateTime: number;
		file: UploadedFile;
		type: IncomingCall['audio']['type'];
		fileId: string;
		key: UploadKey;
	}
): IncomingCall {
	const field = (name: string) => fields.get(name);
	const sources = parseSources(field('sources'));
	// SDRTrunk sends one `source` unit and its `talkerAlias` instead of a sources list.
	const single = parseRadioId(field('source'));
	if (!sources.length && single > 0) {
		const alias = cleanLabel(field('talkerAlias'), MAX_TAG_CHARS);
		sources.push(alias ? { pos: 0, src: single, tag: alias } : { pos: 0, src: single });
	}
	const units = new Map<number, string>();
	for (const s of sources) if (!units.get(s.src)) units.set(s.src, s.tag ?? '');
	return {
		systemRef: p.systemRef,
		systemLabel: cleanLabel(field('systemLabel')),
		talkgroupRef: p.talkgroupRef,
		talkgroupLabel: cleanLabel(field('talkgroupLabel')),
		talkgroupName: cleanLabel(field('talkgroupName')),
		talkgroupGroup: cleanLabel(field('talkgroupGroup')),
		talkgroupTag: cleanLabel(field('talkgroupTag')),
		dateTime: p.dateTime,
		frequency: parseFrequency(field('frequency')),
		duration: 0,
		audio: {
			tmpPath: p.file.tmpPath,
			fileId: p.fileId,
			size: p.file.size,
			type: p.type,
			// A display name only: reduced to a base name, never used as a path.
			name: displayName(field('audioName') || p.file.fileName) || `audio.${p.type.ext}`
		},
		source: sources[0]?.src ?? null,
		sources,
		units: [...units].slice(0, 200).map(([ref, alias]) => ({ ref, alias })),
		frequencies: parseFrequencies(field('frequencies')),
		patches: parsePatches(field('patches')),
		emergency: parseFlag(field('emergency')),
		apiKeyId: p.key.id
	};
}

function displayName(name: string): string {
	const base = name.split(/[\\/]/).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	return base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
}

/**
 * Seconds, read from the audio itself; 0 when the container cannot be read (the call is kept).
 * A plain WAV held in memory is read from its header (wav-duration.ts); anything else by music-metadata.
 */
async function readDuration(file: UploadedFile): Promise<number> {
	const options = { duration: true, skipCovers: true };
	try {
		const seconds =
			(file.bytes && wavDuration(file.bytes)) ??
			(file.bytes
				? await parseBuffer(file.bytes, { size: file.bytes.length }, options)
				: await parseFile(file.tmpPath, options)
			).format.duration;
		return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
			? Math.round(seconds * 1000) / 1000
			: 0;
	} catch {
		return 0;
	}
}

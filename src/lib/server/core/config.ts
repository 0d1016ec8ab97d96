import path from 'node:path';

/**
 * The one reader of process.env. Every setting in README.md (Configuration) is parsed and validated here;
 * a malformed value throws a ConfigError naming the variable, which stops start-up.
 */
export interface Config {
	port: number;
	host: string;
	dataDir: string;
	/** DATABASE_URL: a postgres:// URL switches the store to PostgreSQL; null keeps SQLite in dataDir. */
	databaseUrl: string | null;
	/** RECORDINGS_DIR: where audio lives (default DATA_DIR/recordings); shared by every instance. */
	recordingsDir: string;
	/** Public origin (e.g. https://scanner.example.org), or null to derive it from each request. */
	origin: string | null;
	accessTtlSec: number;
	refreshTtlSec: number;
	maxSessions: number;
	refreshGraceSec: number;
	trustProxy: boolean;
	/** http.Server limits for slow recorder uplinks (50 MiB uploads): whole request, and its headers. */
	requestTimeoutMs: number;
	headersTimeoutMs: number;
	/** SQUELCH_HOT_ROUTES is not `off`: audio and uploads are answered ahead of SvelteKit. */
	hotRoutes: boolean;
	/** adapter-node options set that only SvelteKit's handler honours; any leaves every route to it. */
	kitOnlyOptions: string[];
	/** WebSocket limits (docs/security.md): subscriptions (and messages per frame) per socket… */
	wsMaxSubscriptions: number;
	/** …open sockets per client IP (loopback peers are not counted)… */
	wsMaxSocketsPerIp: number;
	/** …and seconds an anonymous socket may hold no subscription before it is closed. */
	wsAuthTimeoutSec: number;
	/** Sign-in attempts per username and per client IP in 15 minutes before delays start. */
	loginAttempts: { perUsername: number; perIp: number };
	/** Most calls one /api/trpc request may batch (auth.* is never batched). */
	trpcMaxBatch: number;
	/** Password hashes/verifies running at once (each holds a libuv thread and 19 MiB). */
	hashConcurrency: number;
	/** Password checks allowed to wait for a slot; past it sign-in answers TOO_MANY_REQUESTS. */
	hashQueue: number;
	/** Alerts one user may get per minute, across rules; the rest fold into the next one. */
	alertsPerMinute: number;
	/** Under load, alert decisions start at most this often, each over every call stored since. */
	alertBatchMs: number;
	/** Allow Web Push endpoints on loopback/private/link-local addresses (tests, LAN push). */
	pushAllowPrivate: boolean;
	/** The audio pipeline's encoder: a path or a command on PATH; null when set to `off`. */
	ffmpegPath: string | null;
	/**
	 * Tests only: the clock reads epoch ms from this file (re-read on SIGUSR2) instead of the
	 * system time, so a real server can be moved through broadcast delays deterministically.
	 */
	testClockFile: string | null;
	/** SQUELCH_STITCH_TIMEOUT: seconds one stitched incident download may spend in FFmpeg. */
	stitchTimeoutSec: number;
	/** SQUELCH_FORWARD_MAX_AGE: seconds a call keeps being retried for a downstream target. */
	forwardMaxAgeSec: number;
	/** SQUELCH_FORWARD_RETRY_MAX: the longest wait between two tries, seconds. */
	forwardRetryMaxSec: number;
	/** SQUELCH_CLAIM_LEASE: how long an instance holds queued work it claimed before another may take it over (ms). */
	claimLeaseMs: number;
	/** SQUELCH_INCOMING_SWEEP_AGE: the start-up sweep removes only `.incoming` files older than this (ms). */
	incomingSweepAgeMs: number;
	/**
	 * SQUELCH_WATCH_DIRS: folders of recorder output to ingest, each with the system number to
	 * file under and the recorder that writes it (admins add more in the settings page).
	 */
	watchDirs: EnvWatchDir[];
	/** SQUELCH_PRESENCE_TTL: an instance that has not beaten its heartbeat this long is gone (ms). */
	presenceTtlMs: number;
	/** SQUELCH_WATCH_KEY: the upload key folder ingest presents (same checks as a recorder's). */
	watchKey: string | null;
	/** SQUELCH_WATCH_MODE: leave files where they are, or move them to imported/ and failed/. */
	watchMode: 'leave' | 'move';
	/** SQUELCH_WATCH_SETTLE_MS: a file must stay unchanged this long before it is read. */
	watchSettleMs: number;
	/** SQUELCH_AUDIO_CACHE_MB: bytes of small recordings held in memory for the audio endpoint (0: off). */
	audioCacheBytes: number;
	/** SQUELCH_AUDIO_CACHE_REVALIDATE_MS: a held recording is re-checked on disk after this long. */
	audioCacheRevalidateMs: number;
	/**
	 * SQUELCH_AUDIO_AUTH_MAX_AGE_MS: the audio endpoint's in-memory sessions and grants (kept
	 * current by the bus) are read again after this long; 0 reads them on every request.
	 */
	audioAuthMaxAgeMs: number;
	/** SQUELCH_STT_*: the transcription engine for a headless install (admin settings override). */
	stt: { url: string | null; model: string; apiKey: string | null; language: string | null };
}

export type WatchFormat = 'trunk-recorder' | 'sdrtrunk';
export interface EnvWatchDir {
	dir: string;
	system: number;
	format: WatchFormat;
}

export class ConfigError extends Error {
	constructor(
		readonly variable: string,
		message: string
	) {
		super(`${variable}: ${message}`);
		this.name = 'ConfigError';
	}
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = env[name];
	if (raw === undefined || raw.trim() === '') return fallback;
	if (!/^\d+$/.test(raw.trim()))
		throw new ConfigError(name, `expected a whole number, got "${raw}"`);
	const value = Number(raw.trim());
	if (value < min || value > max)
		throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
	return value;
}

function origin(env: Env): string | null {
	const raw = env.ORIGIN?.trim();
	if (!raw) return null;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError(
			'ORIGIN',
			`expected a URL such as https://scanner.example.org, got "${raw}"`
		);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError('ORIGIN', `must be http or https, got "${raw}"`);
	}
	return url.origin;
}

/** "When set": any non-empty value except an explicit no turns it on. */
function trustProxy(raw: string | undefined): boolean {
	const value = (raw ?? '').trim().toLowerCase();
	return value !== '' && !['0', 'false', 'no', 'off'].includes(value);
}

function ffmpegPath(raw: string | undefined): string | null {
	const value = (raw ?? '').trim();
	if (value.toLowerCase() === 'off') return null;
	if (/[\0\n]/.test(value)) throw new ConfigError('FFMPEG_PATH', 'contains a control character');
	return value || 'ffmpeg';
}

/** "/a/tr=1;/b/sdr=2:sdrtrunk" → [{ dir: '/a/tr', system: 1, format: 'trunk-recorder' }, …]. */
function watchDirs(raw: string | undefined): EnvWatchDir[] {
	if (!raw?.trim()) return [];
	return raw
		.split(';')
		.map((s) => s.trim())
		.filter(Boolean)
		.map((entry) => {
			const match = /^(.+)=(\d{1,9})(?::(trunk-recorder|sdrtrunk))?$/.exec(entry);
			if (!match || Number(match[2]) < 1)
				throw new ConfigError(
					'SQUELCH_WATCH_DIRS',
					`expected DIR=SYSTEM[:trunk-recorder|:sdrtrunk] entries separated by ;, got "${entry}"`
				);
			const format = (match[3] ?? 'trunk-recorder') as WatchFormat;
			return { dir: path.resolve(match[1].trim()), system: Number(match[2]), format };
		});
}

/** Client address, origin headers or a body limit: the hot path does not reproduce them. */
function kitOnlyOptions(env: Env): string[] {
	const set = ['ADDRESS_HEADER', 'PROTOCOL_HEADER', 'HOST_HEADER', 'PORT_HEADER'].filter(
		(name) => env[name]
	);
	const limit = env.BODY_SIZE_LIMIT;
	if (limit !== undefined && limit !== 'Infinity') set.push('BODY_SIZE_LIMIT');
	return set;
}

function databaseUrl(raw: string | undefined): string | null {
	const value = raw?.trim();
	if (!value) return null;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError('DATABASE_URL', 'expected a URL such as postgres://user:pass@host/db');
	}
	// The URL carries a password: never echo it back.
	if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
		throw new ConfigError('DATABASE_URL', `must start with postgres://, got ${url.protocol}//…`);
	return value;
}

export function parseConfig(env: Env): Config {
	const host = env.HOST?.trim() || '0.0.0.0';
	const dataDir = path.resolve(env.DATA_DIR?.trim() || './data');
	return {
		port: int(env, 'PORT', 3000, 0, 65535),
		host,
		dataDir,
		databaseUrl: databaseUrl(env.DATABASE_URL),
		recordingsDir: path.resolve(env.RECORDINGS_DIR?.trim() || path.join(dataDir, 'recordings')),
		origin: origin(env),
		accessTtlSec: int(env, 'SQUELCH_ACCESS_TTL', 900, 2, 86_400),
		refreshTtlSec: int(env, 'SQUELCH_REFRESH_TTL', 2_592_000, 60, 31_536_000),
		maxSessions: int(env, 'SQUELCH_MAX_SESSIONS', 20, 1, 1000),
		refreshGraceSec: int(env, 'SQUELCH_REFRESH_GRACE', 30, 0, 3600),
		trustProxy: trustProxy(env.SQUELCH_TRUST_PROXY),
		requestTimeoutMs: int(env, 'SQUELCH_REQUEST_TIMEOUT', 900, 10, 86_400) * 1000,
		headersTimeoutMs: int(env, 'SQUELCH_HEADERS_TIMEOUT', 60, 1, 3600) * 1000,
		hotRoutes: env.SQUELCH_HOT_ROUTES?.trim() !== 'off',
		kitOnlyOptions: kitOnlyOptions(env),
		wsMaxSubscriptions: int(env, 'SQUELCH_WS_MAX_SUBSCRIPTIONS', 20, 1, 1000),
		wsMaxSocketsPerIp: int(env, 'SQUELCH_WS_MAX_PER_IP', 32, 1, 100_000),
		wsAuthTimeoutSec: int(env, 'SQUELCH_WS_AUTH_TIMEOUT', 15, 1, 3600),
		audioCacheBytes: int(env, 'SQUELCH_AUDIO_CACHE_MB', 64, 0, 4096) * 2 ** 20,
		audioCacheRevalidateMs: int(env, 'SQUELCH_AUDIO_CACHE_REVALIDATE_MS', 1000, 0, 60_000),
		audioAuthMaxAgeMs: int(env, 'SQUELCH_AUDIO_AUTH_MAX_AGE_MS', 1000, 0, 1000),
		loginAttempts: {
			perUsername: int(env, 'SQUELCH_LOGIN_USER_ATTEMPTS', 5, 1, 1000),
			perIp: int(env, 'SQUELCH_LOGIN_IP_ATTEMPTS', 20, 1, 100_000)
		},
		trpcMaxBatch: int(env, 'SQUELCH_TRPC_MAX_BATCH', 10, 1, 100),
		hashConcurrency: int(env, 'SQUELCH_HASH_CONCURRENCY', 1, 1, 16),
		hashQueue: int(env, 'SQUELCH_HASH_QUEUE', 32, 0, 10_000),
		alertsPerMinute: int(env, 'SQUELCH_ALERTS_PER_MINUTE', 10, 1, 1000),
		alertBatchMs: int(env, 'SQUELCH_ALERT_BATCH_MS', 100, 0, 1000),
		pushAllowPrivate: (env.SQUELCH_PUSH_ALLOW_PRIVATE ?? '').trim() === '1',
		ffmpegPath: ffmpegPath(env.FFMPEG_PATH),
		testClockFile: env.SQUELCH_TEST_CLOCK_FILE?.trim() || null,
		stitchTimeoutSec: int(env, 'SQUELCH_STITCH_TIMEOUT', 120, 5, 3600),
		forwardMaxAgeSec: int(env, 'SQUELCH_FORWARD_MAX_AGE', 172_800, 60, 31_536_000),
		forwardRetryMaxSec: int(env, 'SQUELCH_FORWARD_RETRY_MAX', 300, 1, 86_400),
		presenceTtlMs: int(env, 'SQUELCH_PRESENCE_TTL', 30, 3, 3600) * 1000,
		claimLeaseMs: int(env, 'SQUELCH_CLAIM_LEASE', 300, 10, 86_400) * 1000,
		incomingSweepAgeMs: int(env, 'SQUELCH_INCOMING_SWEEP_AGE', 3600, 60, 604_800) * 1000,
		...watchConfig(env),
		stt: sttConfig(env)
	};
}

function watchConfig(env: Env) {
	const dirs = watchDirs(env.SQUELCH_WATCH_DIRS);
	const key = env.SQUELCH_WATCH_KEY?.trim() || null;
	if (dirs.length && !key)
		throw new ConfigError('SQUELCH_WATCH_KEY', 'is required when SQUELCH_WATCH_DIRS is set');
	const mode = (env.SQUELCH_WATCH_MODE?.trim() || 'leave') as 'leave' | 'move';
	if (mode !== 'leave' && mode !== 'move')
		throw new ConfigError('SQUELCH_WATCH_MODE', `must be leave or move, got "${mode}"`);
	return {
		watchDirs: dirs,
		watchKey: key,
		watchMode: mode,
		watchSettleMs: int(env, 'SQUELCH_WATCH_SETTLE_MS', 2000, 0, 3_600_000)
	};
}

function sttConfig(env: Env): Config['stt'] {
	const raw = env.SQUELCH_STT_URL?.trim() || null;
	if (raw) {
		let url: URL;
		try {
			url = new URL(raw);
		} catch {
			throw new ConfigError('SQUELCH_STT_URL', `expected a URL such as http://127.0.0.1:8000`);
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:')
			throw new ConfigError('SQUELCH_STT_URL', 'must be http or https');
	}
	const language = env.SQUELCH_STT_LANGUAGE?.trim().toLowerCase() || null;
	if (language && !/^[a-z]{2,3}$/.test(language))
		throw new ConfigError('SQUELCH_STT_LANGUAGE', `expected a language code such as en`);
	const model = env.SQUELCH_STT_MODEL?.trim() || 'whisper-1';
	if (model.length > 100) throw new ConfigError('SQUELCH_STT_MODEL', 'longer than 100 characters');
	return { url: raw, model, apiKey: env.SQUELCH_STT_API_KEY?.trim() || null, language };
}

let cached: Config | undefined;

/** Read lazily: in dev, Kit fills the env on the first request, and the WebSocket path may come first. */
export function config(): Config {
	cached ??= parseConfig(process.env);
	return cached;
}

/**
 * Tests only: SQUELCH_TEST_DB=postgres runs service tests on PostgreSQL, at the server URL the
 * test set-up put in SQUELCH_TEST_PG_URL (tests/helpers/postgres-cluster.ts). Default SQLite.
 */
export function testDatabase(): { kind: 'sqlite' } | { kind: 'postgres'; adminUrl: string } {
	const kind = (process.env.SQUELCH_TEST_DB ?? '').trim().toLowerCase();
	if (kind === '' || kind === 'sqlite') return { kind: 'sqlite' };
	if (kind !== 'postgres') throw new ConfigError('SQUELCH_TEST_DB', 'must be sqlite or postgres');
	const adminUrl = process.env.SQUELCH_TEST_PG_URL;
	if (!adminUrl)
		throw new ConfigError('SQUELCH_TEST_PG_URL', 'not set: run through vitest (npm run test:pg)');
	return { kind: 'postgres', adminUrl };
}

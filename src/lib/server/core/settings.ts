import { z } from 'zod';
import type { Clock } from './clock';
import type { DB } from './db';
import type { Bus } from './bus';
import { prepared } from './db/prepared';

/** Stands in for a stored API key in what the admin page reads: the key itself is never sent back. */
export const SECRET_SET = '(set)';

/** Settings an admin changes at run time; each read goes to SQLite, so changes apply at once. */
export const settingsSchema = z.object({
	/** Anonymous listeners may hear live calls, audio and the archive (never the admin area). */
	publicListening: z.boolean(),
	/** Same system + talkgroup within this many ms is a duplicate. */
	duplicateWindowMs: z.number().int().min(0).max(60_000),
	/** Days of calls to keep; 0 keeps everything. */
	retentionDays: z.number().int().min(0).max(36_500),
	maxUploadBytes: z
		.number()
		.int()
		.min(1024)
		.max(1024 * 1024 * 1024),
	/** Uploads per minute per API key when the key sets none. */
	uploadRateLimitPerMinute: z.number().int().min(1).max(100_000),
	/** Active sessions (devices) per user; null uses SQUELCH_MAX_SESSIONS. Read at each sign-in. */
	maxSessions: z.number().int().min(1).max(1000).nullable(),
	/** Audio pipeline (docs/audio.md): normalise, trim and re-encode each call when FFmpeg is there. */
	audioPipeline: z.boolean(),
	/** Integrated loudness target, LUFS (EBU R128). */
	loudnessTarget: z.number().min(-40).max(-5),
	/** `aac`: AAC-LC in .m4a (every browser); `opus`: Opus in .webm (Chrome, Firefox, Safari 15+). */
	audioFormat: z.enum(['aac', 'opus']),
	audioBitrateKbps: z.number().int().min(8).max(256),
	/** Trim leading and trailing silence (below the threshold, after normalising), keeping the pad. */
	trimSilence: z.boolean(),
	silenceThresholdDb: z.number().min(-90).max(-20),
	silencePadMs: z.number().int().min(0).max(5000),
	/** Keep the file as received next to the encoded one. */
	keepOriginal: z.boolean(),
	/** Encodes at once; null: half the cores, at least one. */
	encodeConcurrency: z.number().int().min(1).max(64).nullable(),
	/** An encode running longer than this is stopped (and retried, then served as received). */
	encodeTimeLimitSec: z.number().int().min(5).max(3600),
	/** Signed-in users may make public share links; off also stops every existing link. */
	shareEnabled: z.boolean(),
	/** The longest expiry a share link may have, seconds; null allows links that never expire. */
	shareMaxExpirySec: z.number().int().min(60).max(315_360_000).nullable(),
	/** The most calls one shared incident may hold. */
	shareMaxCalls: z.number().int().min(1).max(1000),
	/** Alerts go out by Web Push; off keeps them to open tabs (alerts.live). */
	webPush: z.boolean(),
	/** Transcripts (docs/transcripts.md): null follows SQUELCH_STT_URL (on when it is set). */
	sttEngine: z.enum(['off', 'openai']).nullable(),
	/** Base URL, model, API key and language; null falls back to SQUELCH_STT_*. */
	sttUrl: z.string().url().max(500).nullable(),
	sttModel: z.string().min(1).max(100).nullable(),
	sttApiKey: z
		.string()
		.min(1)
		.max(500)
		.refine((key) => key !== SECRET_SET, 'send the key itself, or leave it out to keep it')
		.nullable(),
	/** ISO-639-1 code sent as `language`; null lets the engine detect it. */
	sttLanguage: z
		.string()
		.regex(/^[a-z]{2,3}$/, 'expected a language code such as en')
		.nullable(),
	/** Requests to the engine at once. */
	sttConcurrency: z.number().int().min(1).max(16),
	/** One request longer than this is abandoned (and retried). */
	sttTimeoutSec: z.number().int().min(5).max(900),
	/** Tries per call before it is given up (the reason goes to the event log). */
	sttMaxAttempts: z.number().int().min(1).max(20),
	/** Calls shorter than this are not sent. */
	sttMinDurationSec: z.number().min(0).max(600),
	/** Calls waiting past this many: the oldest are dropped (counted in the event log). */
	sttBacklog: z.number().int().min(1).max(100_000),
	/** Which calls: "SYSTEM" or "SYSTEM:TALKGROUP" (radio numbers); empty: every call. */
	sttScope: z
		.array(z.string().regex(/^\d{1,9}(:\d{1,9})?$/, 'expected SYSTEM or SYSTEM:TALKGROUP'))
		.max(1000)
});

export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
	publicListening: false,
	duplicateWindowMs: 2000,
	retentionDays: 0,
	maxUploadBytes: 50 * 1024 * 1024,
	uploadRateLimitPerMinute: 600,
	maxSessions: null,
	audioPipeline: true,
	loudnessTarget: -16,
	audioFormat: 'aac',
	audioBitrateKbps: 32,
	trimSilence: true,
	silenceThresholdDb: -50,
	silencePadMs: 300,
	keepOriginal: false,
	encodeConcurrency: null,
	encodeTimeLimitSec: 120,
	shareEnabled: true,
	shareMaxExpirySec: null,
	shareMaxCalls: 200,
	webPush: true,
	sttEngine: null,
	sttUrl: null,
	sttModel: null,
	sttApiKey: null,
	sttLanguage: null,
	sttConcurrency: 2,
	sttTimeoutSec: 120,
	sttMaxAttempts: 5,
	sttMinDurationSec: 1,
	sttBacklog: 2000,
	sttScope: []
};

const storedSettings = prepared((db) => db.selectFrom('settings').select(['key', 'value']));

/**
 * The last rows read and what they meant: the rows are read on every call (a change applies at
 * once, on every instance), but validating them again is skipped while they are the same text —
 * every upload reads the settings (docs/performance.md, ingest).
 */
let lastRead: { text: string; settings: Settings } | null = null;

export async function getSettings(db: DB): Promise<Settings> {
	const rows = await storedSettings.execute(db, {});
	let text = '';
	for (const row of rows) text += `${row.key}\u0000${row.value}\u0000`;
	if (lastRead?.text !== text) lastRead = { text, settings: parseSettings(rows) };
	return { ...lastRead.settings, sttScope: [...lastRead.settings.sttScope] };
}

function parseSettings(rows: Array<{ key: string; value: string }>): Settings {
	const stored: Record<string, unknown> = {};
	for (const row of rows) {
		try {
			stored[row.key] = JSON.parse(row.value);
		} catch {
			// A damaged value falls back to its default below.
		}
	}
	const merged = { ...DEFAULT_SETTINGS };
	for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof Settings>) {
		const parsed = settingsSchema.shape[key].safeParse(stored[key]);
		if (parsed.success) (merged as Record<string, unknown>)[key] = parsed.data;
	}
	return merged;
}

export function withoutSecrets(settings: Settings): Settings {
	return { ...settings, sttApiKey: settings.sttApiKey === null ? null : SECRET_SET };
}

/** The session cap in force: the admin's setting, else the environment's. */
export async function sessionCap(db: DB, fallback: number): Promise<number> {
	return (await getSettings(db)).maxSessions ?? fallback;
}

/**
 * Validates (zod errors name the field; unknown keys are refused) and stores the given settings.
 * Turning public listening on or off announces `access.changed` (anonymous listeners' scope).
 */
export async function updateSettings(
	deps: { db: DB; clock: Clock; bus?: Bus },
	patch: Partial<Settings>
): Promise<Settings> {
	const valid = settingsSchema.partial().strict().parse(patch);
	const before =
		valid.publicListening === undefined ? undefined : (await getSettings(deps.db)).publicListening;
	const now = deps.clock.now();
	await deps.db.transaction().execute(async (trx) => {
		for (const [key, value] of Object.entries(valid)) {
			await trx
				.insertInto('settings')
				.values({ key, value: JSON.stringify(value), updated_at: now })
				.onConflict((oc) =>
					oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now })
				)
				.execute();
		}
	});
	if (before !== undefined && before !== valid.publicListening)
		deps.bus?.publish('access.changed', { userId: null });
	return getSettings(deps.db);
}

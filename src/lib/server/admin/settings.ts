import { z } from 'zod';
import type { Clock } from '../clock';
import type { DB } from '../db';

/** Settings an admin changes at run time; each read goes to SQLite, so changes apply at once. */
export const settingsSchema = z.object({
	/** Anonymous listeners may hear live calls, audio and the archive (never the admin area). */
	publicListening: z.boolean(),
	/** Same system + talkgroup within this many ms is a duplicate. */
	duplicateWindowMs: z.number().int().min(0).max(60_000),
	/** Days of calls to keep; 0 keeps everything. */
	retentionDays: z.number().int().min(0).max(36_500),
	maxUploadBytes: z.number().int().min(1024).max(1024 * 1024 * 1024),
	/** Uploads per minute per API key when the key sets none. */
	uploadRateLimitPerMinute: z.number().int().min(1).max(100_000)
});

export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
	publicListening: false,
	duplicateWindowMs: 2000,
	retentionDays: 0,
	maxUploadBytes: 50 * 1024 * 1024,
	uploadRateLimitPerMinute: 600
};

export async function getSettings(db: DB): Promise<Settings> {
	const rows = await db.selectFrom('settings').select(['key', 'value']).execute();
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

/** Validates (zod errors name the field) and stores the given settings. */
export async function updateSettings(deps: { db: DB; clock: Clock }, patch: Partial<Settings>): Promise<Settings> {
	const valid = settingsSchema.partial().parse(patch);
	const now = deps.clock.now();
	await deps.db.transaction().execute(async (trx) => {
		for (const [key, value] of Object.entries(valid)) {
			await trx
				.insertInto('settings')
				.values({ key, value: JSON.stringify(value), updated_at: now })
				.onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
				.execute();
		}
	});
	return getSettings(deps.db);
}

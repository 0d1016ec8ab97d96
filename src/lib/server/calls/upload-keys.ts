import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { prepared, type Param } from '../core/db/prepared';

/**
 * Upload keys for recorders. The key is shown once at creation; only its SHA-256 and a short
 * prefix (to tell keys apart in lists) are stored. A key may be limited to some radio systems
 * and carries an upload rate limit (uploads per minute; null = the settings default).
 */
export interface ApiKeyDeps {
	db: DB;
	clock: Clock;
}

export interface ApiKeyInfo {
	id: number;
	name: string;
	prefix: string;
	/** Radio system numbers this key may upload to; null = all. */
	systems: number[] | null;
	/** Uploads per minute; null = the default from settings. */
	rateLimit: number | null;
	disabled: boolean;
	createdAt: Date;
	lastUsedAt: Date | null;
}

/** What the upload path needs to know about an enabled key. */
export interface UploadKey {
	id: number;
	name: string;
	systems: Set<number> | null;
	rateLimit: number | null;
	lastUsedAt: number | null;
}

const KEY_PREFIX = 'sq_';
/** Characters of the key kept in clear for lists: "sq_" + 6. */
const SHOWN_CHARS = 9;
/** last_used_at is written at most this often per key, to keep uploads from writing twice. */
const TOUCH_INTERVAL_MS = 10_000;

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

function parseSystems(text: string | null): number[] | null {
	if (text === null) return null;
	try {
		const value = JSON.parse(text);
		// A damaged allowlist allows nothing rather than everything.
		return Array.isArray(value) ? value.filter((n) => Number.isSafeInteger(n) && n > 0) : [];
	} catch {
		return [];
	}
}

function normaliseSystems(systems: number[] | null | undefined): string | null {
	if (!systems || systems.length === 0) return null;
	return JSON.stringify([...new Set(systems)].sort((a, b) => a - b));
}

type Row = {
	id: number;
	name: string;
	key_prefix: string;
	systems: string | null;
	rate_limit: number | null;
	disabled: number;
	created_at: number;
	last_used_at: number | null;
};

function toInfo(row: Row): ApiKeyInfo {
	return {
		id: row.id,
		name: row.name,
		prefix: row.key_prefix,
		systems: parseSystems(row.systems),
		rateLimit: row.rate_limit,
		disabled: row.disabled === 1,
		createdAt: new Date(row.created_at),
		lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at)
	};
}

export async function createApiKey(
	deps: ApiKeyDeps,
	input: { name: string; systems?: number[] | null; rateLimit?: number | null }
): Promise<{ id: number; key: string }> {
	const key = KEY_PREFIX + randomBytes(32).toString('base64url');
	const row = await deps.db
		.insertInto('api_keys')
		.values({
			name: input.name,
			key_hash: hashApiKey(key),
			key_prefix: key.slice(0, SHOWN_CHARS),
			systems: normaliseSystems(input.systems),
			rate_limit: input.rateLimit ?? null,
			created_at: deps.clock.now(),
			last_used_at: null
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	return { id: row.id, key };
}

export async function listApiKeys(db: DB): Promise<ApiKeyInfo[]> {
	const rows = await db
		.selectFrom('api_keys')
		.select([
			'id',
			'name',
			'key_prefix',
			'systems',
			'rate_limit',
			'disabled',
			'created_at',
			'last_used_at'
		])
		.orderBy('id', 'asc')
		.execute();
	return rows.map(toInfo);
}

export async function getApiKey(db: DB, id: number): Promise<ApiKeyInfo | null> {
	const row = await db
		.selectFrom('api_keys')
		.select([
			'id',
			'name',
			'key_prefix',
			'systems',
			'rate_limit',
			'disabled',
			'created_at',
			'last_used_at'
		])
		.where('id', '=', id)
		.executeTakeFirst();
	return row ? toInfo(row) : null;
}

/** Rename, change systems or rate limit, disable or enable. Null when there is no such key. */
export async function updateApiKey(
	db: DB,
	id: number,
	patch: { name?: string; systems?: number[] | null; rateLimit?: number | null; disabled?: boolean }
): Promise<ApiKeyInfo | null> {
	const values: Partial<Row> = {};
	if (patch.name !== undefined) values.name = patch.name;
	if (patch.systems !== undefined) values.systems = normaliseSystems(patch.systems);
	if (patch.rateLimit !== undefined) values.rate_limit = patch.rateLimit;
	if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0;
	if (Object.keys(values).length)
		await db.updateTable('api_keys').set(values).where('id', '=', id).execute();
	return getApiKey(db, id);
}

/** Deletes the key; calls it uploaded keep existing (their api_key_id becomes null). */
export async function deleteApiKey(db: DB, id: number): Promise<boolean> {
	const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** The enabled key matching `key`, or null. */
export async function findUploadKey(
	db: DB,
	key: string | null | undefined
): Promise<UploadKey | null> {
	const text = (key ?? '').trim();
	if (!text || text.length > 512) return null;
	return enabledKey(db, 'key_hash', hashApiKey(text));
}

/** An enabled key by its id (folder ingest attributes a watch folder's calls to a key by id). */
export function findUploadKeyById(db: DB, id: number): Promise<UploadKey | null> {
	return enabledKey(db, 'id', id);
}

const keyColumns = ['id', 'name', 'systems', 'rate_limit', 'last_used_at'] as const;
const keyByHash = prepared((db, p: Param<{ hash: string }>) =>
	db
		.selectFrom('api_keys')
		.select(keyColumns)
		.where('key_hash', '=', p('hash'))
		.where('disabled', '=', 0)
);
const keyById = prepared((db, p: Param<{ id: number }>) =>
	db.selectFrom('api_keys').select(keyColumns).where('id', '=', p('id')).where('disabled', '=', 0)
);

async function enabledKey(
	db: DB,
	column: 'key_hash' | 'id',
	value: string | number
): Promise<UploadKey | null> {
	const row =
		column === 'id'
			? await keyById.executeTakeFirst(db, { id: value as number })
			: await keyByHash.executeTakeFirst(db, { hash: value as string });
	if (!row) return null;
	const systems = parseSystems(row.systems);
	return {
		id: row.id,
		name: row.name,
		systems: systems === null ? null : new Set(systems),
		rateLimit: row.rate_limit,
		lastUsedAt: row.last_used_at
	};
}

export function keyAllowsSystem(key: UploadKey, systemRef: number): boolean {
	return key.systems === null || key.systems.has(systemRef);
}

/** Records that the key was used (at most every few seconds per key). */
export async function touchApiKey(deps: ApiKeyDeps, key: UploadKey): Promise<void> {
	const now = deps.clock.now();
	if (key.lastUsedAt !== null && now - key.lastUsedAt < TOUCH_INTERVAL_MS) return;
	await deps.db
		.updateTable('api_keys')
		.set({ last_used_at: now })
		.where('id', '=', key.id)
		.execute();
}

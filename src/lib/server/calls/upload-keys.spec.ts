import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock';
import { createTestDb } from '../core/db';
import {
	createApiKey,
	deleteApiKey,
	findUploadKey,
	hashApiKey,
	keyAllowsSystem,
	listApiKeys,
	touchApiKey,
	updateApiKey
} from './upload-keys';

async function deps() {
	return { db: await createTestDb(), clock: new ManualClock() };
}

describe('API keys', () => {
	it('shows the key once and stores only its hash and a prefix', async () => {
		const d = await deps();
		const { id, key } = await createApiKey(d, { name: 'Trunk-Recorder', systems: [3, 1, 3] });
		expect(key).toMatch(/^sq_[A-Za-z0-9_-]{43}$/);
		const row = await d.db
			.selectFrom('api_keys')
			.selectAll()
			.where('id', '=', id)
			.executeTakeFirstOrThrow();
		expect(row.key_hash).toBe(hashApiKey(key));
		expect(JSON.stringify(row)).not.toContain(key);
		const [info] = await listApiKeys(d.db);
		expect(info).toMatchObject({
			id,
			name: 'Trunk-Recorder',
			prefix: key.slice(0, 9),
			systems: [1, 3],
			disabled: false,
			lastUsedAt: null
		});
	});

	it('finds enabled keys only and enforces the system allowlist', async () => {
		const d = await deps();
		const { id, key } = await createApiKey(d, { name: 'k', systems: [1] });
		const found = await findUploadKey(d.db, key);
		expect(found?.id).toBe(id);
		expect(keyAllowsSystem(found!, 1)).toBe(true);
		expect(keyAllowsSystem(found!, 2)).toBe(false);
		expect(await findUploadKey(d.db, key + 'x')).toBeNull();
		expect(await findUploadKey(d.db, '')).toBeNull();
		await updateApiKey(d.db, id, { disabled: true });
		expect(await findUploadKey(d.db, key)).toBeNull();
		await updateApiKey(d.db, id, { disabled: false, systems: null, name: 'renamed', rateLimit: 5 });
		const again = await findUploadKey(d.db, key);
		expect(again).toMatchObject({ name: 'renamed', systems: null, rateLimit: 5 });
		expect(keyAllowsSystem(again!, 2)).toBe(true);
	});

	it('records last use at most every few seconds, and deletes', async () => {
		const d = await deps();
		const { id, key } = await createApiKey(d, { name: 'k' });
		await touchApiKey(d, (await findUploadKey(d.db, key))!);
		const first = d.clock.now();
		d.clock.advance(1000);
		await touchApiKey(d, (await findUploadKey(d.db, key))!);
		expect((await listApiKeys(d.db))[0].lastUsedAt?.getTime()).toBe(first);
		d.clock.advance(10_000);
		await touchApiKey(d, (await findUploadKey(d.db, key))!);
		expect((await listApiKeys(d.db))[0].lastUsedAt?.getTime()).toBe(first + 11_000);
		expect(await deleteApiKey(d.db, id)).toBe(true);
		expect(await deleteApiKey(d.db, id)).toBe(false);
		expect(await updateApiKey(d.db, id, { name: 'x' })).toBeNull();
		expect(await findUploadKey(d.db, key)).toBeNull();
	});
});

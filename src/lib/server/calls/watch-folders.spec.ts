import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOf, testServices } from '../testing';
import { createApiKey, deleteApiKey } from './upload-keys';
import {
	activeWatchFolders,
	createWatchFolder,
	deleteWatchFolder,
	listWatchFolders,
	updateWatchFolder
} from './watch-folders';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-watch-spec-'));

async function setup(env: Record<string, string> = {}) {
	const svc = await testServices(env);
	const { id: apiKeyId } = await createApiKey(svc, { name: 'sdr' });
	const input = {
		path: tmp(),
		format: 'sdrtrunk' as const,
		system: 5,
		apiKeyId,
		mode: 'leave' as const,
		enabled: true
	};
	return { svc, apiKeyId, input };
}

const message = async (p: Promise<unknown>) => ((await p.catch((e) => e)) as Error).message;

describe('watch folders (admin settings)', () => {
	it('stores a folder, lists it with its key, and scans it only while enabled', async () => {
		const { svc, input } = await setup();
		const id = await createWatchFolder(svc, input);
		expect(await listWatchFolders(svc)).toEqual([
			expect.objectContaining({ id, path: input.path, format: 'sdrtrunk', apiKeyName: 'sdr' })
		]);
		expect((await activeWatchFolders(svc)).map((f) => f.dir)).toEqual([input.path]);
		await updateWatchFolder(svc, id, { enabled: false });
		expect(await activeWatchFolders(svc)).toEqual([]);
		await updateWatchFolder(svc, id, { enabled: true, mode: 'move', system: 9 });
		expect(await activeWatchFolders(svc)).toEqual([
			{
				id,
				dir: input.path,
				format: 'sdrtrunk',
				system: 9,
				key: { id: input.apiKeyId },
				mode: 'move'
			}
		]);
		await deleteWatchFolder(svc.db, id);
		expect(await listWatchFolders(svc)).toEqual([]);
		expect(await codeOf(deleteWatchFolder(svc.db, id))).toBe('NOT_FOUND');
	});

	it('refuses a path that is relative, missing, a file, or the data directory, naming the field', async () => {
		const { svc, input } = await setup();
		const file = path.join(tmp(), 'a.txt');
		fs.writeFileSync(file, 'x');
		const cases: Array<[string, RegExp]> = [
			['relative/dir', /^path: must be an absolute path$/],
			[path.join(tmp(), 'missing'), /^path: .* does not exist$/],
			[file, /^path: .* is not a directory$/],
			[path.join(svc.config.dataDir, 'recordings'), /^path: must not be inside or above DATA_DIR$/],
			[path.dirname(svc.config.dataDir), /^path: must not be inside or above DATA_DIR$/]
		];
		for (const [p, expected] of cases) {
			expect(await codeOf(createWatchFolder(svc, { ...input, path: p }))).toBe('BAD_REQUEST');
			expect(await message(createWatchFolder(svc, { ...input, path: p }))).toMatch(expected);
		}
		const id = await createWatchFolder(svc, input);
		expect(await message(updateWatchFolder(svc, id, { path: file }))).toMatch(/is not a directory/);
		expect(await listWatchFolders(svc)).toHaveLength(1);
	});

	it('refuses an unknown key and a folder already watched', async () => {
		const { svc, input } = await setup();
		expect(await message(createWatchFolder(svc, { ...input, apiKeyId: 999 }))).toBe(
			'apiKeyId: no such upload key'
		);
		const id = await createWatchFolder(svc, input);
		expect(await codeOf(createWatchFolder(svc, input))).toBe('CONFLICT');
		// Nested either way would scan the same files twice.
		const inner = path.join(input.path, 'sub');
		fs.mkdirSync(inner);
		expect(await message(createWatchFolder(svc, { ...input, path: inner }))).toBe(
			`path: overlaps the watched folder ${input.path}`
		);
		const parent = tmp();
		const child = path.join(parent, 'child');
		fs.mkdirSync(child);
		await createWatchFolder(svc, { ...input, path: child });
		expect(await message(createWatchFolder(svc, { ...input, path: parent }))).toBe(
			`path: overlaps the watched folder ${child}`
		);
		// A folder may be saved again under its own path.
		await updateWatchFolder(svc, id, { path: input.path, system: 6 });
	});

	it('lists the environment’s folders as read-only beside the admin’s, and scans both', async () => {
		const envDir = tmp();
		const { svc, input, apiKeyId } = await setup({
			SQUELCH_WATCH_DIRS: `${envDir}=3:sdrtrunk`,
			SQUELCH_WATCH_KEY: 'sq_env'
		});
		expect(await message(createWatchFolder(svc, { ...input, path: envDir }))).toBe(
			'path: already watched (SQUELCH_WATCH_DIRS)'
		);
		await createWatchFolder(svc, input);
		expect((await listWatchFolders(svc)).map((f) => [f.path, f.source])).toEqual([
			[input.path, 'admin'],
			[envDir, 'env']
		]);
		expect((await activeWatchFolders(svc)).map((f) => f.key)).toEqual([
			{ id: apiKeyId },
			{ text: 'sq_env' }
		]);
	});

	it('keeps a folder whose key was deleted, with no key (its calls are then refused as a bad key)', async () => {
		const { svc, input, apiKeyId } = await setup();
		await createWatchFolder(svc, input);
		await deleteApiKey(svc.db, apiKeyId);
		expect((await activeWatchFolders(svc))[0].key).toEqual({ id: null });
		expect((await listWatchFolders(svc))[0]).toMatchObject({ apiKeyId: null, apiKeyName: null });
	});
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config';
import { buildServices } from '../../app';
import { createTestDb } from '../../core/db';
import { createCallerFactory } from '../init';
import { appRouter } from '../root';
import type { Context } from '../context';

describe('live router over HTTP', () => {
	it('refuses subscriptions outside the WebSocket, where revocation could not cut them off', async () => {
		const services = await buildServices(
			parseConfig({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-live-')) }),
			undefined,
			await createTestDb()
		);
		const { updateSettings } = await import('../../core/settings');
		await updateSettings(services, { publicListening: true });
		const ctx: Context = {
			services,
			viewer: null,
			ip: '127.0.0.1',
			userAgent: 'test',
			transport: 'http',
			http: null
		};
		const caller = createCallerFactory(appRouter)(ctx);
		await expect(caller.live.calls({})).rejects.toMatchObject({ code: 'METHOD_NOT_SUPPORTED' });
		expect(await caller.live.listeners()).toEqual({ count: 0 });
	});
});

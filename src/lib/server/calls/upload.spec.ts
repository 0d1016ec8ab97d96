import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trunkRecorderForm } from '../../../../scripts/lib/recorder-forms';
import { InProcessBus } from '../live/bus';
import { createApiKey } from '../admin/api-keys';
import type { Services } from '../services';
import { handleUpload } from './upload';
import { callTestDeps } from './test-support';

const wav = fs.readFileSync(path.resolve(import.meta.dirname, '../../../../tests/fixtures/audio/12345-1718145678_851012500-call_17.wav'));

async function setup() {
	const deps = await callTestDeps();
	const bus = new InProcessBus();
	const svc = { ...deps, bus } as unknown as Services;
	const { key } = await createApiKey(deps, { name: 'unit', rateLimit: 2 });
	const send = (dateTime: number) => {
		const form = trunkRecorderForm({ key, audio: wav, audioName: 'a.wav', audioType: 'audio/wav', dateTime, system: 1, systemLabel: 's', talkgroup: 2 });
		const request = new Request('http://squelch.test/api/call-upload', { method: 'POST', body: new Uint8Array(form.body), headers: { 'content-type': form.contentType } });
		return handleUpload(svc, { request, url: new URL(request.url), ip: '192.0.2.1' });
	};
	return { deps, bus, send };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('handleUpload', () => {
	it('replies first, then publishes call.ingested on the bus and logs it', async () => {
		const { deps, bus, send } = await setup();
		const published: number[] = [];
		bus.subscribe('call.ingested', ({ callId }) => published.push(callId));
		const response = await send(1718145678);
		expect(await response.text()).toBe('Call imported successfully.');
		expect(published).toEqual([]); // not before the reply is handed back
		await nextTurn();
		await nextTurn();
		const row = await deps.db.selectFrom('calls').select('id').executeTakeFirstOrThrow();
		expect(published).toEqual([row.id]);
		const events = await deps.db.selectFrom('events').select(['type', 'data']).execute();
		expect(events.map((e) => [e.type, JSON.parse(e.data)])).toEqual([
			['call.ingested', { callId: row.id, system: 1, talkgroup: 2, keyId: 1, keyName: 'unit' }]
		]);
	});

	it("limits a key's uploads per minute with 429 and Retry-After, logged as rejected", async () => {
		const { deps, send } = await setup();
		expect((await send(1718145600)).status).toBe(200);
		expect((await send(1718145700)).status).toBe(200);
		const limited = await send(1718145800);
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
		deps.clock.advance(30_000);
		expect((await send(1718145900)).status).toBe(200);
		await nextTurn();
		await nextTurn();
		const rejected = await deps.db.selectFrom('events').select('data').where('type', '=', 'upload.rejected').execute();
		expect(rejected.map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ status: 429, keyName: 'unit', ip: '192.0.2.1' })]);
	});
});

import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../core/bus';
import { createSharedTestDbs } from '../../core/db';
import { storeCall } from '../ingest';
import { incomingCall } from '../test-support';
import { testServices } from '../../testing';
import { AudioPipeline } from './worker';
import { findFfmpeg } from './ffmpeg';
import { FIXTURE_WAV } from './test-audio';

// Two instances' pipelines (two database handles, two instance ids, one recordings folder) with
// the real FFmpeg, on SQLite or on PostgreSQL (SQUELCH_TEST_DB).

const LEASE_MS = 300_000;
const pipelines: AudioPipeline[] = [];
afterEach(() => pipelines.splice(0).forEach((p) => p.stop()));

async function twoInstances() {
	const base = await testServices({ SQUELCH_CLAIM_LEASE: String(LEASE_MS / 1000) });
	const ffmpeg = await findFfmpeg('ffmpeg');
	expect(ffmpeg).not.toBeNull();
	const dbs = await createSharedTestDbs(2);
	const published: string[] = [];
	const [a, b] = ['a', 'b'].map((instanceId, i) => {
		const bus = new InProcessBus();
		bus.subscribe('call.published', () => published.push(instanceId));
		const deps = { ...base, db: dbs[i], bus, instanceId };
		const pipeline = new AudioPipeline(deps, ffmpeg);
		pipelines.push(pipeline);
		return { deps, pipeline };
	});
	const wav = fs.readFileSync(FIXTURE_WAV);
	const store = async () => {
		const call = incomingCall(base.config.recordingsDir, {});
		fs.writeFileSync(call.audio.tmpPath, wav);
		call.audio.size = wav.length;
		base.clock.advance(60_000); // a new call, not a duplicate of the last
		call.dateTime = base.clock.now();
		const result = await storeCall(a.deps, call, 0, true);
		if (result.status !== 'stored') throw new Error(result.status);
		return result.callId;
	};
	const publications = () =>
		a.deps.db.selectFrom('call_publications').select(['call_id', 'audience']).execute();
	return { a, b, clock: base.clock, store, publications, published };
}

describe('AudioPipeline on several instances', { timeout: 120_000 }, () => {
	it('two instances kicked at once encode and publish each call exactly once', async () => {
		const { a, b, store, publications, published } = await twoInstances();
		const ids: number[] = [];
		for (let i = 0; i < 4; i++) ids.push(await store());
		a.pipeline.kick();
		b.pipeline.kick();
		await Promise.all([a.pipeline.idle(), b.pipeline.idle()]);
		expect(await a.pipeline.queueLength()).toBe(0);
		const rows = await publications();
		expect(rows.map((r) => r.call_id).sort((x, y) => x - y)).toEqual(ids);
		expect(rows.every((r) => r.audience === 'all')).toBe(true);
		expect(published).toHaveLength(4);
	});

	it('a job held by a crashed instance waits out the lease, then another instance takes it over', async () => {
		const { b, clock, store, publications, published } = await twoInstances();
		const id = await store();
		await b.deps.db
			.updateTable('audio_jobs')
			.set({ claimed_by: 'crashed', claimed_until: clock.now() + LEASE_MS })
			.execute();
		b.pipeline.kick();
		await b.pipeline.idle();
		expect(await b.pipeline.queueLength()).toBe(1);
		expect(await publications()).toEqual([]);
		clock.advance(LEASE_MS + 1);
		b.pipeline.kick();
		await b.pipeline.idle();
		expect(await b.pipeline.queueLength()).toBe(0);
		expect(await publications()).toEqual([{ call_id: id, audience: 'all' }]);
		expect(published).toEqual(['b']);
	});
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin, type Client } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import {
	fixture,
	openServerDb,
	post,
	recordingFiles,
	trunkRecorderForm,
	WAV
} from '../helpers/recorders';
import {
	decodedSeconds,
	loudness,
	streamInfo
} from '../../src/lib/server/calls/audio-pipeline/test-audio';

// The audio pipeline on the production server with Debian's FFmpeg: what listeners receive.

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wav = fixture(WAV);
const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-pipeline-'));

async function setUp(env: Record<string, string>) {
	server = await startServer({ env });
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	return { admin, key };
}

let n = 0;
async function upload(s: TestServer, key: string) {
	const reply = await post(
		`${s.url}/api/call-upload`,
		trunkRecorderForm({
			key,
			audio: wav,
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1_718_145_678 + 10 * n++,
			system: 11,
			systemLabel: 'County',
			talkgroup: 100
		})
	);
	expect(reply.status, reply.body).toBe(200);
	expect(reply.body).toBe('Call imported successfully.');
}

async function audioOf(s: TestServer, token: string, id: number) {
	const res = await fetch(`${s.url}/api/calls/${id}/audio`, {
		headers: { authorization: `Bearer ${token}` }
	});
	return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

function follow(client: Client | ReturnType<typeof liveClient>['client']) {
	const state = { calls: [] as Array<{ id: number; audioType: string; duration: number }> };
	const sub = (client as ReturnType<typeof liveClient>['client']).live.calls.subscribe(
		{},
		{ onData: (e) => state.calls.push(e.data) }
	);
	cleanups.push(() => sub.unsubscribe());
	return state;
}

describe('audio pipeline', () => {
	it(
		'listeners get the call once encoded: AAC in MP4 at the loudness target, a fraction of the size; the dashboard counts what was saved',
		{ timeout: 120_000 },
		async () => {
			const { admin, key } = await setUp({ FFMPEG_PATH: 'ffmpeg' });
			expect(server!.output()).toMatch(/audio pipeline uses FFmpeg \S+/);
			const live = liveClient(wsUrl(server!), { token: async () => admin.token });
			cleanups.push(() => live.close());
			const seen = follow(live.client);
			await upload(server!, key);
			await until(() => seen.calls.length === 1, 'the encoded call', 30_000);
			const call = seen.calls[0];
			expect(call.audioType).toBe('audio/mp4');

			const { res, bytes } = await audioOf(server!, admin.token, call.id);
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toBe('audio/mp4');
			expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
			expect(res.headers.get('content-disposition')).toContain('.m4a');
			const file = path.join(tmp(), 'call.m4a');
			fs.writeFileSync(file, bytes);
			expect(streamInfo(file)).toMatch(/^aac \(LC\).*mono/);
			expect(Math.abs(loudness(file) - -16)).toBeLessThanOrEqual(1);
			expect(bytes.length * 3).toBeLessThan(wav.length);
			expect(Math.abs(call.duration - decodedSeconds(file))).toBeLessThan(0.1);
			// Only the encode is stored; nothing is left in the incoming folder.
			expect(recordingFiles(server!.dataDir)).toEqual([expect.stringMatching(/\.enc\.m4a$/)]);

			const dashboard = await admin.client.admin.stats.dashboard.query();
			expect(dashboard.audio).toMatchObject({
				notice: null,
				queueLength: 0,
				encodedCalls: 1,
				savedBytes: wav.length - bytes.length
			});
			expect(dashboard.audio.ffmpeg).toMatch(/\d/);
			expect(dashboard.storage.audioBytes).toBe(bytes.length);
		}
	);

	it('without FFmpeg on PATH: the original is stored and served, with a notice at start and on the dashboard', async () => {
		const emptyPath = tmp();
		const { admin, key } = await setUp({ FFMPEG_PATH: '', PATH: emptyPath });
		expect(server!.output()).toContain('FFmpeg not found');
		expect(server!.output()).toContain('apt-get install ffmpeg');
		await upload(server!, key);
		const { items } = await admin.client.calls.search.query({ limit: 1 });
		expect(items[0].audioType).toBe('audio/wav');
		const { res, bytes } = await audioOf(server!, admin.token, items[0].id);
		expect(res.status).toBe(200);
		expect(bytes.equals(wav)).toBe(true);
		const dashboard = await admin.client.admin.stats.dashboard.query();
		expect(dashboard.audio.ffmpeg).toBeNull();
		expect(dashboard.audio.notice).toContain('FFmpeg was not found');
		expect(dashboard.audio.queueLength).toBe(0);
	});

	it(
		'killed (SIGKILL) during an encode: the call points at its complete original meanwhile, and is encoded and published after the restart',
		{ timeout: 120_000 },
		async () => {
			// FFmpeg behind a gate: the encode starts, says so, and waits while `hold` exists.
			const dir = tmp();
			const wrapper = path.join(dir, 'ffmpeg');
			fs.writeFileSync(
				wrapper,
				[
					'#!/bin/sh',
					'for a in "$@"; do [ "$a" = "-version" ] && exec ffmpeg "$@"; done',
					`touch '${dir}/started'`,
					`while [ -e '${dir}/hold' ]; do sleep 0.05; done`,
					'exec ffmpeg "$@"'
				].join('\n'),
				{ mode: 0o755 }
			);
			fs.writeFileSync(path.join(dir, 'hold'), '');
			cleanups.push(() => fs.rmSync(path.join(dir, 'hold'), { force: true }));
			// On PostgreSQL the killed instance's claim goes back once its heartbeat is stale (3 s).
			const { key } = await setUp({ FFMPEG_PATH: wrapper, SQUELCH_PRESENCE_TTL: '3' });
			await upload(server!, key);
			await until(() => fs.existsSync(path.join(dir, 'started')), 'encode started', 30_000);

			server!.signal('SIGKILL');
			await server!.stop(); // waits for the exit
			const db = openServerDb(server!.dataDir);
			const row = db.prepare('select id, audio_path, ready_at from calls').get() as {
				id: number;
				audio_path: string;
				ready_at: number | null;
			};
			const jobs = db.prepare('select count(*) as n from audio_jobs').get() as { n: number };
			db.close();
			expect(row.ready_at).toBeNull();
			expect(jobs.n).toBe(1);
			// The row points at the file as received, whole.
			const original = path.join(server!.dataDir, 'recordings', row.audio_path);
			expect(fs.readFileSync(original).equals(wav)).toBe(true);

			// The restart redoes the encode (the gate is open now).
			fs.rmSync(path.join(dir, 'hold'));
			await server!.restart();
			const fresh = await signInAdmin(server!.url);
			let call: { audioType: string } | undefined;
			await until(
				() => {
					void fresh.client.calls.search.query({ limit: 1 }).then((p) => (call = p.items[0]));
					return call?.audioType === 'audio/mp4';
				},
				'encoded after the restart',
				30_000
			);
			const { res, bytes } = await audioOf(server!, fresh.token, row.id);
			expect(res.status).toBe(200);
			const file = path.join(dir, 'after.m4a');
			fs.writeFileSync(file, bytes);
			expect(decodedSeconds(file)).toBeGreaterThan(5);
			expect(fs.existsSync(original)).toBe(false);
			expect(recordingFiles(server!.dataDir)).toEqual([expect.stringMatching(/\.enc\.m4a$/)]);
		}
	);
});

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import { countRows, fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';
import { runReplyMatrix, type ComparableReply } from '../helpers/reply-matrix';

// In production, audio and recorder uploads are answered ahead of SvelteKit
// (src/lib/server/http/hot-routes.ts). SQUELCH_HOT_ROUTES=off leaves them to SvelteKit, which is
// what these tests compare against.

const servers: TestServer[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(env: Record<string, string> = {}) {
	const server = await startServer({ env });
	servers.push(server);
	return server;
}

/** Replies written by the audio and upload endpoints themselves (their text/plain bodies). */
const endpointText = (replies: ComparableReply[]) =>
	replies.filter(
		(r) =>
			!r.name.startsWith('HEAD') &&
			r.headers.some(([n, v]) => n === 'content-type' && v.startsWith('text/plain'))
	);

describe('the production hot path', () => {
	it('answers audio and uploads exactly as SvelteKit does — statuses, headers, bodies, what it stores and logs', async () => {
		const hot = await start();
		const kit = await start({ SQUELCH_HOT_ROUTES: 'off' });
		const viaHot = await runReplyMatrix(hot);
		const viaKit = await runReplyMatrix(kit);

		const withoutFraming = (replies: ComparableReply[]) =>
			replies.map(({ framing: _, ...rest }) => rest);
		expect(withoutFraming(viaHot.replies)).toEqual(withoutFraming(viaKit.replies));
		// The same events, compared as sets: a rejection is logged after its reply, so on PostgreSQL
		// (a pool of connections) two back-to-back requests' events may commit in either order.
		const eventSet = (events: typeof viaHot.events) => events.map((e) => JSON.stringify(e)).sort();
		expect(eventSet(viaHot.events)).toEqual(eventSet(viaKit.events));
		expect(viaHot.calls).toEqual(viaKit.calls);
		expect(viaHot.incoming).toEqual([]);
		expect(viaKit.incoming).toEqual([]);
		// The script covers every outcome, not a few.
		expect(viaHot.replies.length).toBeGreaterThan(50);
		expect(new Set(viaHot.replies.map((r) => r.statusLine.slice(9, 12)))).toEqual(
			new Set([
				'200',
				'206',
				'304',
				'308',
				'400',
				'401',
				'404',
				'405',
				'413',
				'415',
				'416',
				'417',
				'429'
			])
		);

		// The limits (issue 11): exactly the cap is stored (every upload above), one byte more is 413
		// (not 500); a wrong header key is refused before the body; nothing reaches the disk.
		const outcome = (name: string) => {
			const r = viaHot.replies.find((x) => x.name === name)!;
			return [r.statusLine.slice(9, 12), r.body];
		};
		const size = fixture(WAV).length;
		expect(outcome('upload ok (doubled slash)')).toEqual(['200', 'Call imported successfully.']);
		expect(outcome('upload audio one byte over the cap')).toEqual([
			'413',
			`Audio larger than the ${size}-byte upload limit.`
		]);
		expect(outcome('upload wrong X-API-Key, refused before the body')).toEqual([
			'401',
			'Invalid API key for system 0 talkgroup 0.'
		]);
		expect(outcome('upload wrong key field after the audio')).toEqual([
			'401',
			'Invalid API key for system 7 talkgroup 70.'
		]);
		expect(outcome('upload too many fields')).toEqual([
			'413',
			'Upload refused: more than 50 form fields.'
		]);
		expect(outcome('upload sources over its limit')).toEqual([
			'413',
			'Upload refused: field "sources" is over its 65536-byte limit.'
		]);

		// And it is the hot path that answered them on the default server: it sends these bodies
		// with a Content-Length, SvelteKit streams them chunked.
		const hotText = endpointText(viaHot.replies);
		expect(hotText.length).toBeGreaterThan(25);
		expect(hotText.filter((r) => r.framing !== 'content-length').map((r) => r.name)).toEqual([]);
		expect(
			endpointText(viaKit.replies)
				.filter((r) => r.framing !== 'chunked')
				.map((r) => r.name)
		).toEqual([]);
		// Requests it does not serve (Kit's 404 page, its 405 for POST on audio) went to Kit on both.
		const fellThrough = (r: { replies: ComparableReply[] }) =>
			r.replies
				.filter((x) =>
					['audiox', 'audio doubled slash', 'POST audio', 'POST /api/call-upload//'].includes(
						x.name
					)
				)
				.map((x) => x.framing);
		expect(fellThrough(viaHot)).toEqual(fellThrough(viaKit));
	});

	// As recorders and listeners see it. (The server-side rule — publish only after the reply's
	// 'finish' — is pinned down in tests/integration/hot-routes-listener.test.ts.)
	it('gives the recorder its reply before any live listener hears the call', async () => {
		const server = await start();
		const admin = await signInAdmin(server.url);
		const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'order' });
		const live = liveClient(`${server.url.replace('http', 'ws')}/api/ws`, {
			token: async () => admin.token
		});
		cleanups.push(() => live.close());

		const BASE = 1_718_200_000;
		const order: string[] = [];
		let started = false;
		const sub = live.client.live.calls.subscribe(
			{},
			{
				onStarted: () => (started = true),
				onData: (e) => order.push(`heard ${Math.round(e.data.dateTime.getTime() / 1000) - BASE}`)
			}
		);
		cleanups.push(() => sub.unsubscribe());
		await until(() => started, 'the subscription to start');

		const audio = fixture(WAV);
		const uploads = 12;
		for (let i = 0; i < uploads; i++) {
			const form = trunkRecorderForm({
				key,
				audio,
				audioName: WAV,
				audioType: 'audio/wav',
				dateTime: BASE + i,
				system: 3,
				systemLabel: 'Order',
				talkgroup: 30 + i
			});
			// Recorded once the whole reply is in: what a recorder waits for before it is done.
			const res = await fetch(`${server.url}/api/call-upload`, {
				method: 'POST',
				body: new Uint8Array(form.body),
				headers: { 'content-type': form.contentType }
			});
			const text = await res.text();
			order.push(`reply ${i}`);
			expect(text).toBe('Call imported successfully.');
			await until(() => order.includes(`heard ${i}`), `the listener to hear call ${i}`);
		}
		const expected = Array.from({ length: uploads }, (_, i) => [`reply ${i}`, `heard ${i}`]).flat();
		expect(order).toEqual(expected);
	});

	it('leaves the endpoints to SvelteKit under adapter-node options it does not reproduce', async () => {
		const server = await start({ ADDRESS_HEADER: 'x-real-ip', BODY_SIZE_LIMIT: '100M' });
		expect(server.output()).toContain(
			'ADDRESS_HEADER, BODY_SIZE_LIMIT set; audio and uploads are served through SvelteKit'
		);
		const res = await fetch(`${server.url}/api/call-upload`, {
			headers: { 'x-real-ip': '192.0.2.7' }
		});
		expect(res.status).toBe(405);
		expect(res.headers.get('transfer-encoding')).toBe('chunked'); // SvelteKit's framing
		expect(await res.text()).toBe('Method not allowed: use POST.');
	});

	it('survives a failing store: 500 with the retry text and security headers, nothing kept, then recovers', async () => {
		const server = await start();
		const admin = await signInAdmin(server.url);
		const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'faulty disk' });
		const audio = fixture(WAV);
		const form = (n: number) =>
			trunkRecorderForm({
				key,
				audio,
				audioName: WAV,
				audioType: 'audio/wav',
				dateTime: 1_718_300_000 + n * 100,
				system: 4,
				systemLabel: 'Disk',
				talkgroup: 40
			});
		expect((await post(`${server.url}/api/call-upload`, form(0))).body).toBe(
			'Call imported successfully.'
		);

		// The incoming directory turns into a file: the temp file cannot be created.
		const incoming = path.join(server.dataDir, 'recordings', '.incoming');
		fs.rmSync(incoming, { recursive: true });
		fs.writeFileSync(incoming, 'not a directory');
		const failed = await post(`${server.url}/api/call-upload`, form(1));
		expect(failed.status).toBe(500);
		expect(failed.body).toBe('Server error: the call was not stored; try again later.');
		expect(failed.headers.get('x-content-type-options')).toBe('nosniff');
		expect(failed.headers.get('x-frame-options')).toBe('DENY');
		expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
		expect(countRows(server.dataDir, 'calls')).toBe(1);

		fs.rmSync(incoming);
		fs.mkdirSync(incoming);
		expect((await post(`${server.url}/api/call-upload`, form(2))).body).toBe(
			'Call imported successfully.'
		);
		expect(countRows(server.dataDir, 'calls')).toBe(2);
		expect(fs.readdirSync(incoming)).toEqual([]);
		expect(server.output()).toContain('upload failed:');
		expect(server.output()).not.toContain(key);
	});
});

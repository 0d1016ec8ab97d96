import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { createAndSignIn, errorCode, signInAdmin, type Client } from '../helpers/client';
import { liveClient, until } from '../helpers/live-server';
import { fixture, M4A, post, trunkRecorderForm } from '../helpers/recorders';

// Broadcast delay on the production server, with its clock read from a file the test moves
// (SQUELCH_TEST_CLOCK_FILE; SIGUSR2 makes the server re-read it and act, then say so).

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const fn of cleanups.splice(0)) await fn();
	await server?.stop();
	server = undefined;
});

const wsUrl = (s: TestServer) => `${s.url.replace('http', 'ws')}/api/ws`;
const audio = fixture(M4A);
const DELAYED_TG = 200;
const OPEN_TG = 300;

function follow(client: ReturnType<typeof liveClient>['client'], lastEventId?: string) {
	const state = { ids: [] as number[], started: false, errors: [] as string[] };
	const sub = client.live.calls.subscribe(
		{ lastEventId },
		{
			onStarted: () => (state.started = true),
			onData: (e) => state.ids.push(e.data.id),
			onError: (e) => state.errors.push(e.data?.code ?? e.message)
		}
	);
	cleanups.push(() => sub.unsubscribe());
	return state;
}

describe('broadcast delay', () => {
	it(
		'a delayed talkgroup reaches listeners exactly when due, across a restart and a resume; exempt users and admins hear it at once',
		{ timeout: 120_000 },
		async () => {
			const clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-clock-')), 'now');
			// Whole seconds, near real time (access tokens are checked against this clock).
			const t0 = Math.floor(Date.now() / 1000) * 1000;
			fs.writeFileSync(clockFile, String(t0));
			server = await startServer({ env: { SQUELCH_TEST_CLOCK_FILE: clockFile } });
			const s = server;
			let clockSets = 0;
			const setClock = async (ms: number) => {
				fs.writeFileSync(clockFile, String(ms));
				const before = s.output().split(`clock at ${ms}`).length;
				s.signal('SIGUSR2');
				await until(() => s.output().split(`clock at ${ms}`).length > before, `server at ${ms}`);
				clockSets++;
			};

			const admin = await signInAdmin(s.url);
			const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
			let n = 0;
			const upload = async (talkgroup: number) => {
				const reply = await post(
					`${s.url}/api/call-upload`,
					trunkRecorderForm({
						key,
						audio,
						audioName: M4A,
						audioType: 'audio/mp4',
						// Ten seconds apart: none is a duplicate of another.
						dateTime: t0 / 1000 + 10 * n++,
						system: 11,
						systemLabel: 'County',
						talkgroup
					})
				);
				expect(reply.status, reply.body).toBe(200);
				expect(reply.body).toBe('Call imported successfully.');
			};
			const newest = async (client: Client) =>
				(await client.calls.search.query({ limit: 1 })).items[0]?.id;

			// The talkgroups exist once heard; then the admin delays one by two minutes.
			await upload(DELAYED_TG);
			await upload(OPEN_TG);
			const systems = await admin.client.admin.systems.list.query();
			const tg = systems[0].talkgroups.find((t) => t.talkgroupRef === DELAYED_TG)!;
			expect(
				await errorCode(
					admin.client.admin.delays.setTalkgroup.mutate({ talkgroupId: tg.id, minutes: 100_000 })
				)
			).toBe('BAD_REQUEST');
			await admin.client.admin.delays.setTalkgroup.mutate({ talkgroupId: tg.id, minutes: 2 });

			const lena = await createAndSignIn(s.url, admin.client, 'lena');
			const ezra = await createAndSignIn(s.url, admin.client, 'ezra');
			await admin.client.admin.delays.setUserExempt.mutate({ userId: ezra.id, exempt: true });
			const lenaLive = liveClient(wsUrl(s), { token: async () => lena.token });
			const ezraLive = liveClient(wsUrl(s), { token: async () => ezra.token });
			cleanups.push(
				() => lenaLive.close(),
				() => ezraLive.close()
			);
			const lenaSeen = follow(lenaLive.client);
			const ezraSeen = follow(ezraLive.client);
			await until(() => lenaSeen.started && ezraSeen.started, 'subscribed');

			// The delayed call: the exempt user and the admin have it at once.
			await upload(DELAYED_TG);
			const delayed = await newest(admin.client);
			const due = t0 + 2 * 60_000;
			await until(() => ezraSeen.ids.includes(delayed), 'exempt user hears it at once');
			expect((await ezra.client.calls.get.query({ id: delayed })).id).toBe(delayed);

			// Not for the listener: not live, not in search, not by id, no audio.
			const refused = async () => {
				expect(await errorCode(lena.client.calls.get.query({ id: delayed }))).toBe('NOT_FOUND');
				const page = await lena.client.calls.search.query({ limit: 100 });
				expect(page.items.map((c) => c.id)).not.toContain(delayed);
				const res = await fetch(`${s.url}/api/calls/${delayed}/audio`, {
					headers: { authorization: `Bearer ${lena.token}` }
				});
				expect(res.status).toBe(404);
				await res.arrayBuffer();
			};
			await refused();

			// One millisecond before it is due: still held. A later open call arrives; it does not.
			await setClock(due - 1);
			await upload(OPEN_TG);
			const marker = await newest(admin.client);
			await until(() => lenaSeen.ids.includes(marker), 'open call');
			expect(lenaSeen.ids).not.toContain(delayed);
			await refused();

			// A restart while it is pending: the listener comes back (resuming from its last id).
			await s.restart();
			await upload(OPEN_TG);
			const afterRestart = await newest(admin.client);
			await until(() => lenaSeen.ids.includes(afterRestart), 'open call after the restart');
			expect(lenaSeen.ids).not.toContain(delayed);
			await refused();

			// Due: it reaches the listener, after everything published before it, and is audible.
			await setClock(due);
			await until(() => lenaSeen.ids.includes(delayed), 'delayed call when due');
			expect(lenaSeen.ids.indexOf(delayed)).toBeGreaterThan(lenaSeen.ids.indexOf(afterRestart));
			expect(lenaSeen.ids.filter((id) => id === delayed)).toHaveLength(1);
			expect((await lena.client.calls.get.query({ id: delayed })).id).toBe(delayed);
			const res = await fetch(`${s.url}/api/calls/${delayed}/audio`, {
				headers: { authorization: `Bearer ${lena.token}` }
			});
			expect(res.status).toBe(200);
			expect(Buffer.from(await res.arrayBuffer()).equals(audio)).toBe(true);
			// The exempt user heard it once, when it was stored; never again.
			expect(ezraSeen.ids.filter((id) => id === delayed)).toHaveLength(1);

			// Resuming from the call before it (tracked id) replays what was published after it,
			// the delayed call included, exactly once.
			const resumed = follow(lenaLive.client, String(marker));
			await until(() => resumed.ids.includes(delayed), 'resume replays the delayed call');
			expect(resumed.ids).toEqual([afterRestart, delayed]);
			expect(lenaSeen.errors).toEqual([]);
			expect(clockSets).toBe(2);
		}
	);
});

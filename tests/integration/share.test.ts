import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import {
	ADMIN,
	cookieFetch,
	createAndSignIn,
	errorCode,
	signInAdmin,
	trpc,
	type Client
} from '../helpers/client';
import {
	fixture,
	M4A,
	openServerDb,
	post,
	setSetting,
	trunkRecorderForm,
	WAV
} from '../helpers/recorders';
import { readZip } from '../helpers/zip-reader';

/**
 * Share links end to end on the production server: made by a listener and an admin over tRPC,
 * opened with no account at all (plain fetch, no cookies), expired, revoked, and turned off.
 */

let server: TestServer;
let admin: Client;
let listener: Client;
let other: Client;
let listenerToken: string;
const wav = fixture(WAV);
const m4a = fixture(M4A);
/** Unix seconds of the first system-1 call. */
const T0 = 1718145678;
/** Database ids: five system-1 TG 10 calls a minute apart, then one system-2 TG 20 call. */
let tg10: number[] = [];
let hidden: number;

async function upload(key: string, system: number, talkgroup: number, dateTime: number, i: number) {
	const useWav = i % 2 === 0;
	const form = trunkRecorderForm({
		key,
		audio: useWav ? wav : m4a,
		audioName: useWav ? WAV : M4A,
		audioType: useWav ? 'audio/wav' : 'audio/mp4',
		dateTime,
		system,
		systemLabel: `County ${system}`,
		talkgroup,
		talkgroupLabel: `Fire ${talkgroup}`,
		talkgroupName: `Fire Dispatch ${talkgroup}`
	});
	expect((await post(`${server.url}/api/call-upload`, form)).status).toBe(200);
}

const page = (token: string) => fetch(`${server.url}/s/${token}`);
const audio = (token: string, id: number, headers: Record<string, string> = {}) =>
	fetch(`${server.url}/s/${token}/audio/${id}`, { headers });

function serverEvents(type: string): Array<Record<string, unknown>> {
	const db = openServerDb(server.dataDir);
	try {
		return (
			db.prepare('select data from events where type = ? order by id').all(type) as Array<{
				data: string;
			}>
		).map((r) => JSON.parse(r.data));
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	// FFmpeg for the stitched download; the audio pipeline off, so stored files are as uploaded.
	server = await startServer({ env: { FFMPEG_PATH: 'ffmpeg' } });
	({ client: admin } = await signInAdmin(server.url));
	await admin.admin.settings.update.mutate({ audioPipeline: false });
	const { key } = await admin.admin.apiKeys.create.mutate({ name: 'share tests' });
	for (let i = 0; i < 5; i++) await upload(key, 1, 10, T0 + i * 60, i);
	await upload(key, 2, 20, T0 + 30, 0);
	const calls = (await admin.calls.search.query({ limit: 10 })).items;
	tg10 = calls
		.filter((c) => c.system.id === 1)
		.map((c) => c.id)
		.sort((a, b) => a - b);
	hidden = calls.find((c) => c.system.id === 2)!.id;
	const systems = await admin.admin.systems.list.query();
	const system1 = systems.find((s) => s.systemRef === 1)!.id;
	// Lena hears system 1 only; Otto everything.
	await admin.admin.users.create.mutate({
		username: 'lena',
		password: 'lena-password-1',
		role: 'listener',
		accessAll: false,
		access: { systems: [system1], talkgroups: [] }
	});
	const lena = await trpc(server.url).auth.login.mutate({
		username: 'lena',
		password: 'lena-password-1'
	});
	listenerToken = lena.accessToken;
	listener = trpc(server.url, { token: listenerToken });
	({ client: other } = await createAndSignIn(server.url, admin, 'otto'));
});

afterAll(async () => {
	await server?.stop();
});

describe('share links', () => {
	it('cannot be made or listed without an account', async () => {
		const anon = trpc(server.url);
		expect(await errorCode(anon.share.create.mutate({ callId: tg10[0] }))).toBe('UNAUTHORIZED');
		expect(await errorCode(anon.share.list.query())).toBe('UNAUTHORIZED');
	});

	it('one call: a server-rendered page with preview tags, its audio and nothing else', async () => {
		const made = await listener.share.create.mutate({ callId: tg10[2], expiresIn: 3600 });
		// Without ORIGIN the link is on the origin of the page that asked for it.
		expect(made.url).toMatch(
			new RegExp(`^https?://127\\.0\\.0\\.1:${server.port}/s/${made.token}$`)
		);
		const fromPage = await trpc(server.url, {
			token: listenerToken,
			headers: { origin: server.url }
		}).share.create.mutate({ callId: tg10[2] });
		expect(fromPage.url).toBe(`${server.url}/s/${fromPage.token}`);
		expect(made.token).toMatch(/^[A-Za-z0-9_-]{22}$/);

		const res = await page(made.token);
		expect(res.status).toBe(200);
		expect(res.headers.get('cache-control')).toContain('no-store');
		const html = await res.text();
		expect(html).toContain('<meta property="og:title" content="Fire 10"');
		expect(html).toMatch(/<meta property="og:description" content="County 1 · 2024-06-11 22:/);
		expect(html).toContain(`<meta property="og:url" content="`);
		expect(html).toContain('<meta name="twitter:card" content="summary"');
		expect(html).toContain(`/s/${made.token}/audio/${tg10[2]}"`);
		// Only the shared call's id appears; its neighbours and the hidden call do not.
		for (const id of [tg10[1], tg10[3], hidden])
			expect(html).not.toContain(`/s/${made.token}/audio/${id}"`);

		const full = await audio(made.token, tg10[2]);
		expect(full.status).toBe(200);
		expect(Buffer.from(await full.arrayBuffer()).equals(wav)).toBe(true);
		const part = await audio(made.token, tg10[2], { range: 'bytes=0-99' });
		expect(part.status).toBe(206);
		expect(part.headers.get('content-range')).toBe(`bytes 0-99/${wav.length}`);
		for (const id of [tg10[2] - 1, tg10[2] + 1, hidden, 0, 999_999])
			expect((await audio(made.token, id)).status).toBe(404);
		// The link is no key to the rest of the API.
		expect((await fetch(`${server.url}/api/calls/${tg10[2]}/audio`)).status).toBe(401);

		const mine = await listener.share.list.query();
		expect(mine.find((l) => l.token === made.token)).toMatchObject({
			views: 1,
			calls: 1,
			state: 'live'
		});
		expect(serverEvents('share.viewed').at(-1)).toMatchObject({ views: 1 });
		expect(serverEvents('share.created').length).toBeGreaterThan(0);
	});

	it('refuses calls the creator cannot hear', async () => {
		expect(await errorCode(listener.share.create.mutate({ callId: hidden }))).toBe('NOT_FOUND');
		const both = {
			systems: [1, 2],
			talkgroups: [10, 20],
			from: new Date(T0 * 1000),
			to: new Date((T0 + 300) * 1000)
		};
		expect(await errorCode(listener.share.create.mutate(both))).toBe('FORBIDDEN');
		// An admin hears everything and may share it.
		expect((await admin.share.create.mutate(both)).token).toBeTruthy();
	});

	it('an incident shows its calls in order, downloads as a zip and as one audio file', async () => {
		const made = await listener.share.create.mutate({
			systems: [1],
			talkgroups: [10],
			from: new Date((T0 + 60) * 1000),
			to: new Date((T0 + 180) * 1000),
			expiresIn: null
		});
		const html = await (await page(made.token)).text();
		const shown = [...html.matchAll(/data-call-id="(\d+)"/g)].map((m) => Number(m[1]));
		expect(shown).toEqual(tg10.slice(1, 4));
		expect(html).toContain('3 calls');
		for (const id of [tg10[0], tg10[4], hidden])
			expect((await audio(made.token, id)).status).toBe(404);
		expect((await audio(made.token, tg10[3])).status).toBe(200);

		const zipRes = await fetch(`${server.url}/s/${made.token}/download.zip`);
		expect(zipRes.status).toBe(200);
		expect(zipRes.headers.get('content-type')).toBe('application/zip');
		const entries = readZip(Buffer.from(await zipRes.arrayBuffer()));
		const audioNames = [...entries.keys()].filter((n) => !n.startsWith('index.'));
		expect(audioNames).toHaveLength(3);
		expect(entries.get(audioNames.find((n) => n.endsWith('.m4a'))!)!.equals(m4a)).toBe(true);
		const csv = entries.get('index.csv')!.toString().trim().split('\r\n');
		expect(csv[0]).toBe(
			'n,id,time_utc,system,system_label,talkgroup,talkgroup_label,talkgroup_name,duration_s,frequency_hz,file'
		);
		expect(csv.slice(1).map((l) => Number(l.split(',')[1]))).toEqual(tg10.slice(1, 4));
		const json = JSON.parse(entries.get('index.json')!.toString());
		expect(json.calls.map((c: { id: number }) => c.id)).toEqual(tg10.slice(1, 4));

		const joined = await fetch(`${server.url}/s/${made.token}/stitched`);
		expect(joined.status).toBe(200);
		expect(joined.headers.get('content-type')).toBe('audio/mpeg');
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-share-')), 'a.mp3');
		fs.writeFileSync(file, Buffer.from(await joined.arrayBuffer()));
		const probe = spawnSync('ffprobe', [
			'-v',
			'error',
			'-show_entries',
			'format=duration',
			'-of',
			'csv=p=0',
			file
		]);
		const seconds = Number(probe.stdout.toString().trim());
		const calls = (await admin.calls.search.query({ systems: [1] })).items.filter((c) =>
			tg10.slice(1, 4).includes(c.id)
		);
		const expected = calls.reduce((sum, c) => sum + c.duration + 0.5, 0);
		expect(Math.abs(seconds - expected)).toBeLessThan(0.5);
	});

	it('refuses bad input naming the field, and an incident over the size limit', async () => {
		const err = await listener.share.create.mutate({ systems: [1] } as never).catch((e) => e);
		expect(err.data.code).toBe('BAD_REQUEST');
		expect(err.message).toBe('talkgroups: is required');
		await admin.admin.settings.update.mutate({ shareMaxCalls: 2 });
		try {
			const range = {
				systems: [1],
				talkgroups: [10],
				from: new Date(T0 * 1000),
				to: new Date((T0 + 300) * 1000)
			};
			const over = await listener.share.create.mutate(range).catch((e) => e);
			expect(over.data.code).toBe('BAD_REQUEST');
			expect(over.message).toMatch(/more than 2 calls/);
		} finally {
			await admin.admin.settings.update.mutate({ shareMaxCalls: 200 });
		}
	});

	it('an expired link answers 410 with a page that says so, and serves no audio', async () => {
		const made = await listener.share.create.mutate({ callId: tg10[0], expiresIn: 60 });
		const db = openServerDb(server.dataDir);
		db.prepare('update share_links set expires_at = ? where token = ?').run(
			Date.now() - 1,
			made.token
		);
		db.close();
		const res = await page(made.token);
		expect(res.status).toBe(410);
		expect(await res.text()).toContain('This share link has expired.');
		expect((await audio(made.token, tg10[0])).status).toBe(404);
		expect((await fetch(`${server.url}/s/${made.token}/download.zip`)).status).toBe(410);
		expect((await listener.share.list.query()).find((l) => l.token === made.token)?.state).toBe(
			'expired'
		);
	});

	it('revoke: owner or admin only; a revoked or unknown link answers 404', async () => {
		const made = await listener.share.create.mutate({ callId: tg10[1] });
		expect(await errorCode(other.share.revoke.mutate({ token: made.token }))).toBe('NOT_FOUND');
		expect((await page(made.token)).status).toBe(200);
		await listener.share.revoke.mutate({ token: made.token });
		const res = await page(made.token);
		expect(res.status).toBe(404);
		expect(await res.text()).toContain('was revoked');
		expect((await audio(made.token, tg10[1])).status).toBe(404);

		const unknown = await page('A'.repeat(22));
		expect(unknown.status).toBe(404);
		expect(await unknown.text()).toContain('There is no share link at this address.');

		// Admins see every link and revoke anyone's.
		const second = await listener.share.create.mutate({ callId: tg10[1] });
		const all = await admin.admin.shares.list.query();
		expect(all.find((l) => l.token === second.token)?.owner.username).toBe('lena');
		expect(await errorCode(listener.admin.shares.list.query())).toBe('FORBIDDEN');
		await admin.share.revoke.mutate({ token: second.token });
		expect((await page(second.token)).status).toBe(404);
		expect(serverEvents('share.revoked').length).toBe(2);
	});

	it('admins cap the expiry and can turn sharing off', async () => {
		await admin.admin.settings.update.mutate({ shareMaxExpirySec: 3600 });
		const never = await listener.share.create
			.mutate({ callId: tg10[0], expiresIn: null })
			.catch((e) => e);
		expect(never.data.code).toBe('BAD_REQUEST');
		expect(never.message).toMatch(/^expiresIn: at most 3600 seconds/);
		const ok = await listener.share.create.mutate({ callId: tg10[0], expiresIn: 3600 });
		setSetting(server.dataDir, 'shareEnabled', false);
		try {
			expect(await errorCode(listener.share.create.mutate({ callId: tg10[0] }))).toBe('FORBIDDEN');
			const off = await page(ok.token);
			expect(off.status).toBe(403);
			expect(await off.text()).toContain('Sharing is turned off on this server.');
			expect((await audio(ok.token, tg10[0])).status).toBe(404);
		} finally {
			setSetting(server.dataDir, 'shareEnabled', true);
			await admin.admin.settings.update.mutate({ shareMaxExpirySec: null });
		}
		expect((await page(ok.token)).status).toBe(200);
	});

	it('one link, opened and refused alike as anonymous, listener and admin; only its owner or an admin revokes it', async () => {
		// Browsers of each kind: no cookies, a listener's sign-in cookies, an admin's.
		const signedIn = async (username: string, password: string) => {
			const jar = cookieFetch();
			await trpc(server.url, { fetch: jar }).auth.login.mutate({ username, password });
			expect(await jar.jar.getCookieString(server.url)).not.toBe('');
			return jar;
		};
		const viewers = {
			anonymous: cookieFetch(),
			listener: await signedIn('lena', 'lena-password-1'),
			admin: await signedIn(ADMIN.username, ADMIN.password)
		};
		// An admin shares the call Lena cannot hear: the link, not her account, lets her play it.
		const made = await admin.share.create.mutate({ callId: hidden, expiresIn: 3600 });
		const around = [hidden - 1, hidden + 1, ...tg10];
		for (const [who, get] of Object.entries(viewers)) {
			const res = await get(`${server.url}/s/${made.token}`);
			expect(res.status, who).toBe(200);
			const html = await res.text();
			expect(html, who).toContain(`/s/${made.token}/audio/${hidden}"`);
			for (const id of around) {
				expect(html, who).not.toContain(`data-call-id="${id}"`);
				expect((await get(`${server.url}/s/${made.token}/audio/${id}`)).status, who).toBe(404);
			}
			expect((await get(`${server.url}/s/${made.token}/audio/${hidden}`)).status, who).toBe(200);
		}
		expect(await errorCode(listener.calls.get.query({ id: hidden }))).toBe('NOT_FOUND');

		expect(await errorCode(trpc(server.url).share.revoke.mutate({ token: made.token }))).toBe(
			'UNAUTHORIZED'
		);
		expect(await errorCode(listener.share.revoke.mutate({ token: made.token }))).toBe('NOT_FOUND');
		expect((await admin.share.list.query()).find((l) => l.token === made.token)?.views).toBe(3);

		const db = openServerDb(server.dataDir);
		db.prepare('update share_links set expires_at = ? where token = ?').run(
			Date.now() - 1,
			made.token
		);
		db.close();
		for (const [who, get] of Object.entries(viewers)) {
			const res = await get(`${server.url}/s/${made.token}`);
			expect(res.status, who).toBe(410);
			expect(await res.text(), who).toContain('This share link has expired.');
			expect((await get(`${server.url}/s/${made.token}/audio/${hidden}`)).status, who).toBe(404);
		}
		await admin.share.revoke.mutate({ token: made.token });
		for (const [who, get] of Object.entries(viewers))
			expect((await get(`${server.url}/s/${made.token}`)).status, who).toBe(404);
	});
});

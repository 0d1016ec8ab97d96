import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import {
	countRows,
	fixture,
	openServerDb,
	post,
	recordingFiles,
	trunkRecorderForm,
	WAV
} from '../helpers/recorders';

let server: TestServer;
let key: string;
beforeAll(async () => {
	server = await startServer();
	const admin = await signInAdmin(server.url);
	({ key } = await admin.client.admin.apiKeys.create.mutate({ name: 'limits' }));
});
afterAll(() => server?.stop());

const form = (over: Partial<Parameters<typeof trunkRecorderForm>[0]>) =>
	trunkRecorderForm({
		key,
		audio: fixture(WAV),
		audioName: WAV,
		audioType: 'audio/wav',
		dateTime: 1_718_400_000,
		system: 5,
		systemLabel: 'Limits',
		talkgroup: 50,
		...over
	});

describe('upload limits on the production server', () => {
	it('stores a call whose sources and frequencies fill their fields with hostile text, bounded, while other requests are answered', async () => {
		const fill = (unit: string) => unit.repeat(Math.floor((64 * 1024 - 20) / unit.length));
		const sources = '[{"src": 5, ' + fill('"tag": "') + 'x}]';
		const frequencies = '[' + fill('{"freq":1,"time":1e300},') + ']';
		const upload = post(`${server.url}/api/call-upload`, form({ sources, frequencies }));
		const health = await fetch(`${server.url}/api/health`);
		expect(health.status).toBe(200);
		expect((await upload).body).toBe('Call imported successfully.');

		const db = openServerDb(server.dataDir);
		const row = db
			.prepare('select sources, frequencies from calls order by id desc limit 1')
			.get() as { sources: string; frequencies: string };
		db.close();
		expect(JSON.parse(row.sources)).toEqual([{ pos: 0, src: 5 }]);
		expect(JSON.parse(row.frequencies)).toHaveLength(250);
		expect(row.frequencies.length).toBeLessThanOrEqual(32 * 1024);
	});

	it('refuses a 1 MiB frequencies field with 413 and stores nothing', async () => {
		const calls = countRows(server.dataDir, 'calls');
		const reply = await post(
			`${server.url}/api/call-upload`,
			form({
				frequencies: '[' + '{"freq":851012500},'.repeat(55_000) + ']',
				dateTime: 1_718_400_100
			})
		);
		expect(reply.status).toBe(413);
		expect(reply.body).toBe('Upload refused: field "frequencies" is over its 65536-byte limit.');
		expect(countRows(server.dataDir, 'calls')).toBe(calls);
		expect(recordingFiles(server.dataDir).filter((f) => f.startsWith('.incoming'))).toEqual([]);
	});

	it('answers a wrong X-API-Key before the body is sent', async () => {
		// 30 MiB announced, 1 KiB sent: the reply must not wait for the rest.
		const body = form({ dateTime: 1_718_400_200 });
		const socket = net.connect(server.port, '127.0.0.1');
		const reply = new Promise<string>((resolve, reject) => {
			let data = '';
			socket.on('data', (chunk) => {
				data += chunk.toString('latin1');
				if (data.includes('\r\n\r\n') && data.endsWith('talkgroup 0.')) resolve(data);
			});
			socket.on('error', reject);
		});
		socket.write(
			`POST /api/call-upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${body.contentType}\r\n` +
				`X-API-Key: sq_wrong\r\nContent-Length: ${30 * 1024 * 1024}\r\n\r\n`
		);
		socket.write(body.body.subarray(0, 1024));
		const text = await reply;
		socket.destroy();
		expect(text).toMatch(/^HTTP\/1\.1 401 /);
		expect(text.endsWith('Invalid API key for system 0 talkgroup 0.')).toBe(true);
		expect(recordingFiles(server.dataDir).filter((f) => f.startsWith('.incoming'))).toEqual([]);
	});
});

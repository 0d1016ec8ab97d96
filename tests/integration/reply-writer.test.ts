import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
	textReply,
	toWebResponse,
	writeNodeReply,
	type Reply
} from '../../src/lib/server/http/reply';

const closers: Array<() => unknown> = [];
afterEach(async () => {
	for (const close of closers.splice(0)) await close();
	vi.restoreAllMocks();
});

async function serve(reply: () => Reply) {
	const server = http.createServer((_req, res) =>
		writeNodeReply(res, reply(), [['x-extra', 'yes']])
	);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	closers.push(
		() => new Promise((resolve) => server.close(resolve)),
		() => server.closeAllConnections()
	);
	return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

const tmpFile = (bytes: Buffer) => {
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-reply-')), 'a.bin');
	fs.writeFileSync(file, bytes);
	return file;
};

describe('writeNodeReply and toWebResponse', () => {
	it('send the same status, headers and bytes for text and file ranges', async () => {
		const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
		const file = tmpFile(bytes);
		for (const reply of [
			textReply(417, 'Incomplete call data: no talkgroup'),
			{
				status: 206,
				headers: { 'content-type': 'audio/wav', 'content-length': '10' },
				body: { file, start: 10, end: 19 }
			}
		]) {
			const { url } = await serve(() => reply);
			const viaNode = await fetch(url);
			const viaWeb = toWebResponse(reply);
			expect(viaNode.status).toBe(viaWeb.status);
			for (const [name, value] of viaWeb.headers) expect(viaNode.headers.get(name)).toBe(value);
			expect(viaNode.headers.get('x-extra')).toBe('yes');
			const body = Buffer.from(await viaNode.arrayBuffer());
			expect(body.equals(Buffer.from(await viaWeb.arrayBuffer()))).toBe(true);
			expect(viaNode.headers.get('content-length')).toBe(String(body.length));
		}
	});

	it('cuts the connection when the file cannot be read, and the server carries on', async () => {
		const errors: unknown[] = [];
		vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args));
		const { url } = await serve(() => ({
			status: 200,
			headers: { 'content-length': '10' },
			body: { file: '/nonexistent/squelch/a.wav', start: 0, end: 9 }
		}));
		await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
		expect(errors).toEqual([['audio stream failed:', 'ENOENT']]);
		await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow(); // still answering
	});

	it('stops reading and releases the file when the client goes away mid-stream', async () => {
		const file = tmpFile(Buffer.alloc(32 * 1024 * 1024, 1));
		const streams: fs.ReadStream[] = [];
		const create = fs.createReadStream;
		vi.spyOn(fs, 'createReadStream').mockImplementation(((...args: Parameters<typeof create>) => {
			const stream = create(...args);
			streams.push(stream);
			return stream;
		}) as typeof create);
		const { server } = await serve(() => ({
			status: 200,
			headers: { 'content-length': String(32 * 1024 * 1024) },
			body: { file, start: 0, end: 32 * 1024 * 1024 - 1 }
		}));
		const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
		socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
		await new Promise((resolve) => socket.once('data', resolve));
		socket.pause(); // a listener that stopped reading…
		socket.destroy(); // …and left
		await vi.waitFor(() => expect(streams[0]?.destroyed).toBe(true));
		expect(streams[0].bytesRead).toBeLessThan(32 * 1024 * 1024);
	});
});

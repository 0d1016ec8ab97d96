import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
	url: string;
	/** Which backend (index) served each request and upgrade, in arrival order. */
	served: Array<{ backend: number; path: string }>;
	close(): Promise<void>;
}

/**
 * A load balancer of the test's own: each HTTP request and each WebSocket upgrade goes to the
 * next backend in turn, with no stickiness. Upgrades are relayed as raw bytes after the head.
 */
export async function startRoundRobinProxy(backends: () => string[]): Promise<RoundRobinProxy> {
	let turn = 0;
	const served: RoundRobinProxy['served'] = [];
	const sockets = new Set<net.Socket>();
	const pick = (path: string) => {
		const list = backends();
		const backend = turn++ % list.length;
		served.push({ backend, path });
		return new URL(list[backend]);
	};

	const server = http.createServer((req, res) => {
		const target = pick(req.url ?? '/');
		const upstream = http.request(
			{
				host: target.hostname,
				port: target.port,
				method: req.method,
				path: req.url,
				headers: req.headers
			},
			(reply) => {
				res.writeHead(reply.statusCode ?? 502, reply.rawHeaders);
				reply.pipe(res);
			}
		);
		upstream.on('error', () => {
			if (!res.headersSent) res.writeHead(502);
			res.end();
		});
		req.pipe(upstream);
	});

	server.on('upgrade', (req, client, head) => {
		const target = pick(req.url ?? '/');
		const upstream = net.connect(Number(target.port), target.hostname, () => {
			const lines = [`${req.method} ${req.url} HTTP/1.1`];
			for (let i = 0; i < req.rawHeaders.length; i += 2)
				lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
			upstream.write(lines.join('\r\n') + '\r\n\r\n');
			if (head.length) upstream.write(head);
			upstream.pipe(client);
			client.pipe(upstream);
		});
		for (const s of [upstream, client as net.Socket]) {
			sockets.add(s);
			s.on('close', () => sockets.delete(s));
		}
		upstream.on('error', () => client.destroy());
		client.on('error', () => upstream.destroy());
		upstream.on('close', () => client.destroy());
		client.on('close', () => upstream.destroy());
	});

	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		served,
		close: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) s.destroy();
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

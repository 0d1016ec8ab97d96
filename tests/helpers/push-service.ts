import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A Web Push service of the test's own (RFC 8030) on loopback https, with its own CA made by
 * openssl: the server under test trusts it through NODE_EXTRA_CA_CERTS. Each request is kept
 * with its headers and body; replies come from a per-endpoint script (default 201).
 */
export interface PushRequest {
	name: string;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}

export type Reply =
	| { status: number; headers?: Record<string, string> }
	/** Drop the connection without an answer (a crash mid-send, from the sender's side). */
	| 'drop';

export interface PushService {
	origin: string;
	caFile: string;
	requests: PushRequest[];
	endpoint(name: string): string;
	/** Replies to the next requests to this endpoint, in order; then 201. */
	script(name: string, replies: Reply[]): void;
	close(): Promise<void>;
}

function makeCertificates(dir: string) {
	const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
	run(
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:P-256',
		'-nodes',
		'-keyout',
		'ca.key',
		'-out',
		'ca.pem',
		'-days',
		'1',
		'-subj',
		'/CN=Squelch test push CA'
	);
	run(
		'req',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:P-256',
		'-nodes',
		'-keyout',
		'leaf.key',
		'-out',
		'leaf.csr',
		'-subj',
		'/CN=127.0.0.1'
	);
	fs.writeFileSync(path.join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1\n');
	run(
		'x509',
		'-req',
		'-in',
		'leaf.csr',
		'-CA',
		'ca.pem',
		'-CAkey',
		'ca.key',
		'-CAcreateserial',
		'-out',
		'leaf.pem',
		'-days',
		'1',
		'-extfile',
		'leaf.ext'
	);
}

export async function startPushService(): Promise<PushService> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-push-'));
	makeCertificates(dir);
	const requests: PushRequest[] = [];
	const scripts = new Map<string, Reply[]>();
	const server = https.createServer(
		{
			key: fs.readFileSync(path.join(dir, 'leaf.key')),
			cert: fs.readFileSync(path.join(dir, 'leaf.pem'))
		},
		(req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const name = (req.url ?? '').replace(/^\/push\//, '');
				requests.push({ name, headers: req.headers, body: Buffer.concat(chunks) });
				const reply = scripts.get(name)?.shift() ?? { status: 201 };
				if (reply === 'drop') return req.socket.destroy();
				res.writeHead(reply.status, { location: `/message/${requests.length}`, ...reply.headers });
				res.end();
			});
		}
	);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		origin,
		caFile: path.join(dir, 'ca.pem'),
		requests,
		endpoint: (name) => `${origin}/push/${name}`,
		script: (name, replies) => scripts.set(name, [...replies]),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

/** A browser's push subscription keys (what PushManager.subscribe makes). */
export function browserKeys() {
	const ecdh = crypto.createECDH('prime256v1');
	ecdh.generateKeys();
	const auth = crypto.randomBytes(16);
	return {
		ecdh,
		auth,
		keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') }
	};
}

/** RFC 8291 (aes128gcm, RFC 8188): decrypts a push body with the subscription's keys. */
export function decryptPush(body: Buffer, ua: ReturnType<typeof browserKeys>): string {
	const salt = body.subarray(0, 16);
	const idLength = body[20];
	const asPublic = body.subarray(21, 21 + idLength);
	const ciphertext = body.subarray(21 + idLength);
	const ecdhSecret = ua.ecdh.computeSecret(asPublic);
	const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.ecdh.getPublicKey(), asPublic]);
	const ikm = Buffer.from(crypto.hkdfSync('sha256', ecdhSecret, ua.auth, keyInfo, 32));
	const cek = Buffer.from(
		crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16)
	);
	const nonce = Buffer.from(
		crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12)
	);
	const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
	decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
	const padded = Buffer.concat([
		decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
		decipher.final()
	]);
	// The last record ends with the delimiter 0x02, then zero padding.
	let end = padded.length - 1;
	while (end >= 0 && padded[end] === 0) end--;
	if (padded[end] !== 2) throw new Error('no last-record delimiter');
	return padded.subarray(0, end).toString('utf8');
}

/** RFC 8292: checks the `vapid t=…, k=…` Authorization; returns the JWT claims and the key. */
export function verifyVapid(header: string | undefined): {
	claims: Record<string, unknown>;
	k: string;
} {
	const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
	if (!match) throw new Error(`not a VAPID Authorization: ${header}`);
	const [, jwt, k] = match;
	const [head, payload, signature] = jwt.split('.');
	const point = Buffer.from(k, 'base64url');
	const key = crypto.createPublicKey({
		key: {
			kty: 'EC',
			crv: 'P-256',
			x: point.subarray(1, 33).toString('base64url'),
			y: point.subarray(33, 65).toString('base64url')
		},
		format: 'jwk'
	});
	const ok = crypto.verify(
		'sha256',
		Buffer.from(`${head}.${payload}`),
		{ key, dsaEncoding: 'ieee-p1363' },
		Buffer.from(signature, 'base64url')
	);
	if (!ok) throw new Error('VAPID signature does not verify');
	if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'ES256')
		throw new Error('VAPID alg is not ES256');
	return { claims: JSON.parse(Buffer.from(payload, 'base64url').toString()), k };
}

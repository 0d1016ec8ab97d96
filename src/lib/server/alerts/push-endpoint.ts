import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ServiceError } from '../core/errors';

/** Endpoints longer than this are refused (real ones are a few hundred characters). */
export const MAX_ENDPOINT = 2048;

// Addresses a user-supplied URL must not reach: the operator's own machine and network.
const blocked = new BlockList();
for (const [net, bits] of [
	['0.0.0.0', 8],
	['10.0.0.0', 8],
	['100.64.0.0', 10],
	['127.0.0.0', 8],
	['169.254.0.0', 16],
	['172.16.0.0', 12],
	['192.168.0.0', 16],
	['198.18.0.0', 15],
	['224.0.0.0', 3]
] as const)
	blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
	['::', 128],
	['::1', 128],
	['fc00::', 7],
	['fe80::', 10],
	['ff00::', 8]
] as const)
	blocked.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
	const family = isIP(address);
	if (family === 4) return blocked.check(address, 'ipv4');
	if (family !== 6) return true;
	// IPv4-mapped IPv6 (::ffff:127.0.0.1) is checked as the IPv4 address it is.
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	if (mapped) return blocked.check(mapped[1], 'ipv4');
	return blocked.check(address, 'ipv6');
}

/**
 * A push endpoint is a URL the user gives us and the server will POST to: https only, and no
 * host that resolves to loopback, private or link-local space unless the operator allows it.
 */
export async function checkEndpoint(
	endpoint: string,
	opts: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> }
): Promise<URL> {
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		throw new ServiceError('BAD_REQUEST', 'endpoint: not a URL');
	}
	if (url.protocol !== 'https:') throw new ServiceError('BAD_REQUEST', 'endpoint: must be https');
	if (url.username || url.password)
		throw new ServiceError('BAD_REQUEST', 'endpoint: must not carry credentials');
	if (opts.allowPrivate) return url;
	const host = url.hostname.replace(/^\[|\]$/g, '');
	const resolve =
		opts.resolve ??
		(async (h: string) => (await lookup(h, { all: true, verbatim: true })).map((a) => a.address));
	let addresses: string[];
	try {
		addresses = isIP(host) ? [host] : await resolve(host);
	} catch {
		throw new ServiceError('BAD_REQUEST', 'endpoint: host does not resolve');
	}
	if (addresses.length === 0 || addresses.some(isPrivateAddress))
		throw new ServiceError(
			'BAD_REQUEST',
			'endpoint: resolves to a loopback, private or link-local address'
		);
	return url;
}

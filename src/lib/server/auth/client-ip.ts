/**
 * The client's IP: the socket's peer, unless SQUELCH_TRUST_PROXY is set, in which case the
 * right-most X-Forwarded-For entry (the one our own proxy appended; the left ones are the
 * client's to forge).
 */
export function clientIp(
	forwardedFor: string | null | undefined,
	socketAddress: string,
	trustProxy: boolean
): string {
	if (trustProxy && forwardedFor) {
		const hops = forwardedFor
			.split(',')
			.map((h) => h.trim())
			.filter(Boolean);
		if (hops.length) return normalise(hops[hops.length - 1]);
	}
	return normalise(socketAddress);
}

const normalise = (ip: string) => ip.replace(/^::ffff:/, '') || 'unknown';

/**
 * Client sockets are spread over 127.0.0.1–127.0.0.200. A socket bound to a source address takes
 * an ephemeral port that no other socket on that address holds, including the client's own
 * closed sockets waiting out TIME_WAIT (60 s). With 8 addresses the connect rounds (10,000
 * sockets a set, two sets a round) filled almost half of each address's 28,232 ports within a
 * minute, and the kernel's search for a free port slowed the later sets' connects several-fold;
 * 200 addresses keep each one's share of a set near 50 ports.
 */
export const SOURCE_ADDRESSES = 200;

export function sourceAddress(index: number): string {
	return `127.0.0.${1 + (index % SOURCE_ADDRESSES)}`;
}

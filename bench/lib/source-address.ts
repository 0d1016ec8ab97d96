/**
 * Client sockets are spread over 127.0.0.1–127.0.0.8: Linux gives each source address its own
 * range of ephemeral ports, and 10,000 listeners (a WebSocket and pooled HTTP connections each,
 * twice in a run with the baseline, plus sockets still in TIME_WAIT) come close to one range.
 */
export const SOURCE_ADDRESSES = 8;

export function sourceAddress(index: number): string {
	return `127.0.0.${1 + (index % SOURCE_ADDRESSES)}`;
}

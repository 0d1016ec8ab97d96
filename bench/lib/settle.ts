/**
 * Between connect rounds: wait until a server has finished with the sockets just closed on it, so
 * the next round (on either server) does not share the CPU with the last round's closes.
 */
import fs from 'node:fs';
import { cpuSeconds } from './proc';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /proc/net/tcp states: listening, and the kernel's own after-close states. */
const LISTEN = '0A';

/**
 * Connections on 127.0.0.1:port that a process still holds: /proc/net/tcp rows with that local
 * address, not listening, with an inode (a socket the server has closed is orphaned, inode 0,
 * while the kernel finishes the TCP goodbye; TIME_WAIT rows have no inode either).
 */
export function heldConnections(port: number): number {
	const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
	let held = 0;
	for (const line of fs.readFileSync('/proc/net/tcp', 'latin1').split('\n')) {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		const f = line.trim().split(/\s+/);
		if (f[1] === local && f[3] !== LISTEN && f[9] !== '0') held++;
	}
	return held;
}

/** A quiet window: under two 10 ms CPU ticks in 250 ms. */
const QUIET_WINDOW_MS = 250;
const QUIET_CPU_SECONDS = 0.015;
const POLL_MS = 200;
/** A bound for a stuck server, not a guess at how long closing takes: reported when reached. */
const SETTLE_LIMIT_MS = 120_000;

export interface Settled {
	/** Connections the server still held when the wait began. */
	heldAtStart: number;
	/** Connections the server holds once quiet (idle keep-alive connections, say). */
	held: number;
	ms: number;
	/** False when the limit ran out first. */
	settled: boolean;
}

/**
 * First the server's connections on its port fall back to at most `atRest` (every socket closed
 * by the clients has been closed by the server too), then its CPU stays quiet for two windows in a
 * row (the close handlers and what they free). Either alone can mislead on a shared machine: a
 * server kept off the CPU by other work looks quiet while its closes wait, and a closed socket
 * can still have handlers to run.
 */
export async function settle(server: { pid: number; port: number }, atRest = Infinity) {
	const t0 = performance.now();
	const late = () => performance.now() - t0 > SETTLE_LIMIT_MS;
	const heldAtStart = heldConnections(server.port);
	let held = heldAtStart;
	while (held > atRest && !late()) {
		await sleep(POLL_MS);
		held = heldConnections(server.port);
	}
	let quietWindows = 0;
	while (quietWindows < 2 && !late()) {
		const cpu0 = cpuSeconds(server.pid);
		await sleep(QUIET_WINDOW_MS);
		quietWindows = cpuSeconds(server.pid) - cpu0 < QUIET_CPU_SECONDS ? quietWindows + 1 : 0;
	}
	return {
		heldAtStart,
		held: heldConnections(server.port),
		ms: performance.now() - t0,
		settled: !late()
	} satisfies Settled;
}

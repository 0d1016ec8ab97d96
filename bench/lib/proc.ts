import fs from 'node:fs';

/** Linux clock ticks per second (USER_HZ); 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, read from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name (which may hold spaces) start after the last ')'.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	return (utime + stime) / TICKS_PER_SECOND;
}

/** CPU seconds of a process plus those of its children it has waited for (FFmpeg runs). */
export function cpuSecondsWithChildren(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime, stime, cutime, cstime.
	return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / TICKS_PER_SECOND;
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
	return kb ? Number(kb[1]) * 1024 : NaN;
}

/** CPU use of a process over a stretch of wall time, as a share of one core (1.0 = one core busy). */
export function cpuMeter(pid: number) {
	const cpu0 = cpuSeconds(pid);
	const t0 = performance.now();
	return () => (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
}

/** The machine's 1-minute load average, to note beside the figures. */
export function loadAverage(): string {
	return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

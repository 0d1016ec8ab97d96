import { spawn } from 'node:child_process';

export interface RunResult {
	/** The exit code, or null when killed. */
	code: number | null;
	/** The end of what FFmpeg printed (its errors and the filters' reports). */
	stderr: string;
	timedOut: boolean;
}

/** Stderr kept per run: the filters' summaries come last, and a bad file must not fill memory. */
const STDERR_KEEP = 64 * 1024;

/**
 * Runs FFmpeg with an argument array (no shell, so no file name is ever interpreted) and a time
 * limit: past it the process is killed (SIGKILL) and `timedOut` is set. FFmpeg's own
 * `-timelimit` is passed too, so an encoder orphaned by a crash of this process ends by itself.
 */
export function runFfmpeg(ffmpeg: string, args: string[], timeLimitMs: number): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const cpuSeconds = String(Math.max(1, Math.ceil(timeLimitMs / 1000)));
		const child = spawn(
			ffmpeg,
			['-hide_banner', '-nostdin', '-nostats', '-timelimit', cpuSeconds, ...args],
			{ stdio: ['ignore', 'ignore', 'pipe'], shell: false, windowsHide: true }
		);
		let stderr = '';
		let timedOut = false;
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
			if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
		});
		const timer = setTimeout(() => {
			timedOut = true;
			child.kill('SIGKILL');
		}, timeLimitMs);
		child.once('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.once('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stderr: stderr.slice(-STDERR_KEEP), timedOut });
		});
	});
}

/** The FFmpeg to use, with its version line; null when it cannot be run (not installed). */
export async function findFfmpeg(
	candidate: string | null
): Promise<{ path: string; version: string } | null> {
	if (!candidate) return null;
	try {
		const probe = await new Promise<string>((resolve, reject) => {
			const child = spawn(candidate, ['-hide_banner', '-version'], {
				stdio: ['ignore', 'pipe', 'ignore'],
				shell: false
			});
			let out = '';
			child.stdout.setEncoding('utf8');
			child.stdout.on('data', (c: string) => (out += c.slice(0, 4096)));
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			child.once('error', (err) => {
				clearTimeout(timer);
				reject(err);
			});
			child.once('close', (code) => {
				clearTimeout(timer);
				if (code === 0) resolve(out);
				else reject(new Error(`exit ${code}`));
			});
		});
		const version = /ffmpeg version (\S+)/.exec(probe)?.[1];
		return version ? { path: candidate, version } : null;
	} catch {
		return null;
	}
}

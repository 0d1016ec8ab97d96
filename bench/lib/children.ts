import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const benchDir = path.resolve(import.meta.dirname, '..');
export const children = new Set<ChildProcess>();

/**
 * Node with its open-file limit raised to what the machine allows (10,000 listeners hold more
 * sockets than a common soft limit of 1,024), as an IPC child like `fork` makes.
 */
export function spawnNode(
	args: string[],
	opts: { env?: NodeJS.ProcessEnv; ipc?: boolean; cwd?: string } = {}
): ChildProcess {
	const quoted = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`);
	return spawn(
		'/bin/sh',
		['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${quoted.join(' ')}`],
		{
			cwd: opts.cwd,
			env: opts.env ?? process.env,
			stdio: opts.ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'pipe', 'pipe']
		}
	);
}

/** A bench/ module in its own process under tsx, with IPC to the orchestrator. */
export function spawnChild(file: string, childEnv: Record<string, string> = {}): ChildProcess {
	const child = spawnNode(['--import', 'tsx', path.join(benchDir, file)], {
		env: { ...process.env, ...childEnv },
		ipc: true
	});
	children.add(child);
	child.once('exit', () => children.delete(child));
	return child;
}

export function nextMessage<T>(child: ChildProcess): Promise<T> {
	return new Promise((resolve, reject) => {
		// 'close', not 'exit': it comes after the last IPC message has been delivered.
		const onClose = (code: number | null) =>
			reject(new Error(`${child.spawnargs.at(-1)} exited with ${code} before answering`));
		child.once('close', onClose);
		child.once('message', (m) => {
			child.off('close', onClose);
			resolve(m as T);
		});
	});
}

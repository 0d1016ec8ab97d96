// `npm run bench [-- --quick]`: runs the benchmark orchestrator (bench/run.ts) under tsx. It
// starts the production server itself (building first when the sources changed).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const child = spawn(
	process.execPath,
	['--import', 'tsx', path.join(root, 'bench/run.ts'), ...process.argv.slice(2)],
	{ cwd: root, stdio: 'inherit' }
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

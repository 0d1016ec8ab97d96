import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Integration and browser tests run against the real production build, built once here. */
export default function setup() {
	const root = path.resolve(import.meta.dirname, '../..');
	const result = spawnSync(
		process.execPath,
		[path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'],
		{
			cwd: root,
			stdio: 'inherit',
			// Vitest sets NODE_ENV=test, which would make Vite resolve the development builds of Svelte/Kit.
			env: { ...process.env, NODE_ENV: 'production' }
		}
	);
	if (result.status !== 0) throw new Error('vite build failed');
	fs.writeFileSync(path.join(root, 'build', '.squelch-build-stamp'), new Date().toISOString());
}

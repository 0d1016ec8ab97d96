// `npm start`: build if the sources changed since the last build, then serve the production app
// with tRPC over WebSocket on the same port, on an http.Server of our own.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'build', '.squelch-build-stamp');
const inputs = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];

function newestMtime(p) {
	const stat = fs.statSync(p, { throwIfNoEntry: false });
	if (!stat) return 0;
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = stat.mtimeMs;
	for (const entry of fs.readdirSync(p))
		newest = Math.max(newest, newestMtime(path.join(p, entry)));
	return newest;
}

function buildIfNeeded() {
	const built = fs.statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
	const newest = Math.max(...inputs.map((i) => newestMtime(path.join(root, i))));
	if (built >= newest && fs.existsSync(path.join(root, 'build', 'handler.js'))) return;
	console.log('Squelch: building the app (first start or sources changed)…');
	const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
	const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
		cwd: root,
		stdio: 'inherit'
	});
	if (result.status !== 0) process.exit(result.status ?? 1);
	fs.writeFileSync(stamp, new Date().toISOString());
}

process.env.NODE_ENV ??= 'production';
// Recorder uploads stream to disk with their own cap (settings.maxUploadBytes, 50 MiB by default);
// adapter-node's 512 KiB default would refuse them before they reach the endpoint.
process.env.BODY_SIZE_LIMIT ??= 'Infinity';
if (!process.env.SQUELCH_SKIP_BUILD) buildIfNeeded();

// Importing SvelteKit's handler initialises the app (hooks.server.ts `init`: config, migrations,
// background work, src/lib/server/app.ts); the app then serves that handler on its own
// http.Server (src/lib/server/http/server.ts) with the hot routes and the WebSocket server.
try {
	const { handler } = await import(path.join(root, 'build', 'handler.js'));
	const app = await globalThis[Symbol.for('squelch.app')];
	if (!app) throw new Error('the app did not initialise');
	await app.serve(handler);
} catch (err) {
	// A bad env value (ConfigError) stops start-up with the message naming the variable.
	console.error(`Squelch could not start: ${err instanceof Error ? err.message : err}`);
	process.exit(1);
}

// `npm start`: build if the sources changed since the last build, then serve the production app
// with tRPC over WebSocket on the same port.
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
	if (built >= newest && fs.existsSync(path.join(root, 'build', 'index.js'))) return;
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

// adapter-node reads PORT and HOST itself; importing the build initialises the app (hooks init:
// config, migrations) and starts listening.
let app;
try {
	app = await import(path.join(root, 'build', 'index.js'));
} catch (err) {
	// A bad env value (ConfigError) stops start-up with the message naming the variable.
	console.error(`Squelch could not start: ${err instanceof Error ? err.message : err}`);
	process.exit(1);
}
const httpServer = app.server.server;
const attach = globalThis[Symbol.for('squelch.attachWebSockets')];
if (typeof attach !== 'function') {
	console.error('Squelch could not start: the app did not initialise its WebSocket server');
	process.exit(1);
}
const sockets = attach(httpServer);
serveHotRoutesAheadOfKit();

/**
 * Audio and recorder uploads are answered straight from the http.Server, ahead of SvelteKit, by
 * the same endpoint code (src/lib/server/http/hot-routes.ts). The build is already listening by
 * now: a request that arrived before this swap went to SvelteKit, which answers it the same way
 * (only slower), so that race is harmless. adapter-node options the hot path does not reproduce
 * (a body size limit, client address and origin headers) leave these endpoints to SvelteKit, as
 * does SQUELCH_HOT_ROUTES=off.
 */
function serveHotRoutesAheadOfKit() {
	const attachHot = globalThis[Symbol.for('squelch.attachHotRoutes')];
	if (typeof attachHot !== 'function') {
		console.error('Squelch could not start: the app did not initialise its hot routes');
		process.exit(1);
	}
	if (process.env.SQUELCH_HOT_ROUTES === 'off') return;
	const kitOnly = ['ADDRESS_HEADER', 'PROTOCOL_HEADER', 'HOST_HEADER', 'PORT_HEADER'].filter(
		(name) => process.env[name]
	);
	if (process.env.BODY_SIZE_LIMIT !== 'Infinity') kitOnly.push('BODY_SIZE_LIMIT');
	if (kitOnly.length) {
		console.log(
			`Squelch: ${kitOnly.join(', ')} set; audio and uploads are served through SvelteKit`
		);
		return;
	}
	// polka (adapter-node's router) listens for 'request' with this function.
	const kitListener = app.server?.attach;
	if (typeof kitListener !== 'function' || !httpServer.listeners('request').includes(kitListener)) {
		console.log(
			"Squelch: SvelteKit's request listener was not found; audio and uploads are served through SvelteKit"
		);
		return;
	}
	attachHot(httpServer, kitListener);
}

const announce = () => {
	const address = httpServer.address();
	const host =
		!address.address || address.address === '::' || address.address === '0.0.0.0'
			? 'localhost'
			: address.address;
	console.log(
		`Squelch listening on http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
	);
};
if (httpServer.listening) announce();
else httpServer.once('listening', announce);

// adapter-node stops accepting HTTP on these signals but does not know about upgraded sockets:
// tell every WebSocket client to reconnect (it will resume from its last id), then close them.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
	process.on(signal, async () => {
		if (stopping) return;
		stopping = true;
		await sockets.close();
	});
}

import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin, ViteDevServer } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Dev only: serve tRPC over WebSocket on Vite's own HTTP server. The app is loaded through Vite
 * (ssrLoadModule) and shared with SvelteKit's modules (app.ts, currentApp), so HTTP and WebSocket
 * share one bus and one database; Vite's HMR socket
 * (protocol `vite-hmr`) is never touched.
 */
function squelchWebSockets(): Plugin {
	return {
		name: 'squelch-websockets',
		apply: 'serve',
		configureServer(server: ViteDevServer) {
			const httpServer = server.httpServer;
			if (!httpServer) return;
			let attached: Promise<unknown> | undefined;
			const attach = () =>
				(attached ??= server
					.ssrLoadModule('/src/lib/server/app.ts')
					.then((mod) => mod.currentApp())
					.then((app) => app.attachWebSockets(httpServer, { dev: true })));
			// Attach on the first request of any kind, once Kit has initialised the app.
			httpServer.once('request', () => void attach());
			httpServer.on('listening', () => void attach());
		}
	};
}

/** SQUELCH_TEST_DB=postgres (npm run test:pg): the suites run on PostgreSQL, plus its own tests. */
const onPostgres = (process.env.SQUELCH_TEST_DB ?? '').trim().toLowerCase() === 'postgres';

export default defineConfig({
	plugins: [sveltekit(), squelchWebSockets()],
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.spec.ts'],
					// *.pg.spec.ts exercise PostgreSQL itself (LISTEN/NOTIFY, concurrent commits).
					exclude: onPostgres ? [] : ['src/**/*.pg.spec.ts'],
					environment: 'node',
					// SQUELCH_TEST_DB=postgres only: a throwaway PostgreSQL cluster for the run.
					globalSetup: ['tests/helpers/pg-global-setup.ts']
				}
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['tests/integration/**/*.test.ts'],
					// *.pg.test.ts need several servers on one PostgreSQL (multi-instance).
					exclude: onPostgres ? [] : ['tests/integration/**/*.pg.test.ts'],
					environment: 'node',
					globalSetup: ['tests/helpers/global-setup.ts', 'tests/helpers/pg-global-setup.ts'],
					testTimeout: 120_000,
					hookTimeout: 120_000
				}
			},
			{
				extends: true,
				test: {
					name: 'e2e',
					include: ['tests/e2e/**/*.test.ts'],
					environment: 'node',
					globalSetup: ['tests/helpers/global-setup.ts'],
					testTimeout: 600_000,
					hookTimeout: 120_000,
					fileParallelism: false
				}
			}
		]
	}
});

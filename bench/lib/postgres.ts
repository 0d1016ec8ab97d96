import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPgCluster } from '../../tests/helpers/postgres-cluster';
import { createPgDatabase } from '../../src/lib/server/core/db/test-db';

/**
 * `npm run bench -- --postgres`: a throwaway PostgreSQL cluster (the tests' helper), one database
 * for the run, and a recordings folder every Squelch instance of the run shares.
 */
export async function benchPostgres(): Promise<{ env: Record<string, string>; stop(): void }> {
	const cluster = await startPgCluster();
	try {
		const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-bench-recordings-'));
		let stopped = false;
		return {
			env: { DATABASE_URL: await createPgDatabase(cluster.url), RECORDINGS_DIR: recordings },
			stop() {
				if (stopped) return;
				stopped = true;
				cluster.stop();
				fs.rmSync(recordings, { recursive: true, force: true });
			}
		};
	} catch (err) {
		cluster.stop();
		throw err;
	}
}

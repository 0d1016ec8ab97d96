import pg from 'pg';
import { createPgDb } from '../../src/lib/server/core/db/postgres';
import { migrateToLatest } from '../../src/lib/server/core/db';
import { PG_TEMPLATE, withDatabase } from '../../src/lib/server/core/db/test-db';
import { startPgCluster, type PgCluster } from './postgres-cluster';

/**
 * With SQUELCH_TEST_DB=postgres: one PostgreSQL cluster for the whole run (shared by the unit and
 * integration projects), a migrated template database the unit tests clone, stopped at the end.
 * Without it: nothing.
 */
const shared = globalThis as { squelchPg?: { cluster: PgCluster; users: number } };

export default async function setup(): Promise<() => void> {
	if ((process.env.SQUELCH_TEST_DB ?? '').trim().toLowerCase() !== 'postgres') return () => {};
	if (!shared.squelchPg) {
		const cluster = await startPgCluster();
		try {
			await makeTemplate(cluster.url);
		} catch (err) {
			cluster.stop();
			throw err;
		}
		shared.squelchPg = { cluster, users: 0 };
		// Test workers and the servers they start inherit it.
		process.env.SQUELCH_TEST_PG_URL = cluster.url;
	}
	shared.squelchPg.users++;
	return () => {
		const state = shared.squelchPg;
		if (!state || --state.users > 0) return;
		shared.squelchPg = undefined;
		state.cluster.stop();
	};
}

async function makeTemplate(url: string): Promise<void> {
	const admin = new pg.Client({ connectionString: url });
	await admin.connect();
	try {
		await admin.query(`create database ${PG_TEMPLATE}`);
	} finally {
		await admin.end();
	}
	const db = createPgDb(withDatabase(url, PG_TEMPLATE), { max: 1 });
	try {
		await migrateToLatest(db);
	} finally {
		await db.destroy();
	}
}

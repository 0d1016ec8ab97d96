import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/lib/server/core/db/test-db';
import { startServer, type TestServer } from '../helpers/server';
import { signInAdmin } from '../helpers/client';
import { waitFor } from '../helpers/recorders';
import { postgresForTest } from '../helpers/postgres-cluster';

/**
 * The production server on PostgreSQL as an ordinary role: it creates its tables on first start,
 * and /api/health follows the database — 503 while it refuses connections, 200 once it is back.
 */
let pgServer: { adminUrl: string; stop(): void };
let server: TestServer;
let url: string;

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: pgServer.adminUrl });
	await client.connect();
	try {
		return await work(client);
	} finally {
		await client.end();
	}
}

beforeAll(async () => {
	pgServer = await postgresForTest();
	url = await createPgDatabase(pgServer.adminUrl);
	server = await startServer({ env: { DATABASE_URL: url } });
});

afterAll(async () => {
	await server?.stop();
	pgServer?.stop();
});

describe('Squelch on PostgreSQL', () => {
	it('creates its tables on first start as a role that is no superuser', async () => {
		const { rolsuper } = await asAdmin(
			async (c) =>
				(await c.query('select rolsuper from pg_roles where rolname = current_user')).rows[0]
		);
		expect(rolsuper).toBe(false);
		const admin = await signInAdmin(server.url);
		expect((await admin.client.auth.me.query()).username).toBe('admin');
		const app = new pg.Client({ connectionString: url });
		await app.connect();
		const tables = (
			await app.query(
				'select table_name from information_schema.tables where table_schema = current_schema()'
			)
		).rows.map((r) => r.table_name as string);
		await app.end();
		expect(tables).toEqual(expect.arrayContaining(['users', 'sessions', 'calls', 'outbox']));
	});

	it('answers /api/health 503 while the database refuses connections, and 200 when it is back', async () => {
		const ok = await fetch(`${server.url}/api/health`);
		expect(ok.status).toBe(200);
		expect(await ok.json()).toMatchObject({
			status: 'ok',
			database: { dialect: 'postgres', ok: true }
		});

		const name = new URL(url).pathname.slice(1);
		// The owner closes its database to new connections and ends the server's open ones.
		await asAdmin(async (c) => {
			await c.query(`alter database ${name} connection limit 0`);
			await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
				name
			]);
		});
		const down = await fetch(`${server.url}/api/health`);
		expect(down.status).toBe(503);
		expect(await down.json()).toMatchObject({
			status: 'unavailable',
			database: { dialect: 'postgres', ok: false }
		});

		await asAdmin((c) => c.query(`alter database ${name} connection limit -1`));
		// The bus's listening connection was ended too: it comes back on its own backoff (at most
		// 5 s), and the instance is healthy again once it listens.
		const health = async () => {
			const res = await fetch(`${server.url}/api/health`);
			return { status: res.status, body: await res.json() };
		};
		const back = await waitFor(health, (h) => h.status === 200);
		expect(back).toMatchObject({
			status: 200,
			body: { database: { ok: true }, bus: { kind: 'postgres', state: 'listening' } }
		});
		expect(server.output()).not.toContain(new URL(url).password);
	});
});

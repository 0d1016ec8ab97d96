import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../src/lib/server/core/db/test-db';
import { tablesInOrder } from '../../src/lib/server/core/db/copy-to-postgres';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, createAndSignIn, signInAdmin, trpc } from '../helpers/client';
import { fixture, post, trunkRecorderForm, WAV } from '../helpers/recorders';
import { postgresForTest } from '../helpers/postgres-cluster';

/**
 * `npm run migrate-to-postgres`: a SQLite install with users, sessions, calls, share links and
 * alert rules is copied into PostgreSQL; the app then runs there with the same data (old
 * passwords, the same calls and audio, ids continuing after the copied ones). Runs on its own
 * PostgreSQL when the suite is on SQLite.
 */
const root = path.resolve(import.meta.dirname, '../..');
let own: { stop(): void } | null = null;
let adminUrl: string;
let sqliteServer: TestServer;
let listener: { password: string };
let before: { calls: number[]; shareToken: string; rules: string[] };

function migrateToPostgres(dataDir: string, databaseUrl: string, ...args: string[]) {
	const result = spawnSync(
		process.execPath,
		[path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/migrate-to-postgres.ts', ...args],
		{
			cwd: root,
			env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
			encoding: 'utf8'
		}
	);
	return { code: result.status, output: result.stdout + result.stderr };
}

async function pgCounts(url: string, tables: string[]): Promise<Record<string, number>> {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		const counts: Record<string, number> = {};
		for (const t of tables)
			counts[t] = Number((await client.query(`select count(*) as n from "${t}"`)).rows[0].n);
		return counts;
	} finally {
		await client.end();
	}
}

beforeAll(async () => {
	const pgTest = await postgresForTest();
	own = pgTest;
	adminUrl = pgTest.adminUrl;
	// The SQLite install, whatever the suite runs on.
	sqliteServer = await startServer({ env: { DATABASE_URL: '' } });
	const admin = await signInAdmin(sqliteServer.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	for (let i = 0; i < 5; i++) {
		const form = trunkRecorderForm({
			key,
			audio: fixture(WAV),
			audioName: WAV,
			audioType: 'audio/wav',
			dateTime: 1718145678 + i * 60,
			system: 7,
			systemLabel: 'County',
			talkgroup: 100 + i,
			talkgroupLabel: `TG ${i}`
		});
		expect((await post(`${sqliteServer.url}/api/call-upload`, form)).status).toBe(200);
	}
	const lis = await createAndSignIn(sqliteServer.url, admin.client, 'Dispatcher');
	listener = lis;
	const calls = (await lis.client.calls.search.query({ limit: 100 })).items.map((c) => c.id);
	const share = await lis.client.share.create.mutate({ callId: calls[0], expiresIn: 86_400 });
	await lis.client.alerts.rules.create.mutate({ name: 'Fire', talkgroups: [101] });
	before = {
		calls,
		shareToken: share.token,
		rules: (await lis.client.alerts.rules.list.query()).map((r) => r.name)
	};
	await sqliteServer.stop();
}, 180_000);

afterAll(() => own?.stop());

describe('npm run migrate-to-postgres', () => {
	it('copies every table, keeping ids; the app then signs in with the old password and lists the same calls', async () => {
		const url = await createPgDatabase(adminUrl);
		const copied = migrateToPostgres(sqliteServer.dataDir, url);
		expect(copied.output).toContain('copied');
		expect(copied.code).toBe(0);

		// Every SQLite table (as the database lists them, not a hand list) has its rows in PostgreSQL.
		const sqlite = new Database(path.join(sqliteServer.dataDir, 'squelch.db'), { readonly: true });
		const tables = tablesInOrder(sqlite);
		const sqliteCounts = Object.fromEntries(
			tables.map((t) => [
				t,
				(sqlite.prepare(`select count(*) as n from "${t}"`).get() as { n: number }).n
			])
		);
		sqlite.close();
		expect(tables).toEqual(
			expect.arrayContaining(['users', 'sessions', 'calls', 'share_links', 'alert_rules', 'events'])
		);
		expect(await pgCounts(url, tables)).toEqual(sqliteCounts);
		expect(sqliteCounts.calls).toBe(5);

		// A second run refuses a database that is no longer empty; --force replaces its rows.
		const again = migrateToPostgres(sqliteServer.dataDir, url);
		expect(again.code).toBe(1);
		expect(again.output).toMatch(/not empty .*--force/);
		const forced = migrateToPostgres(sqliteServer.dataDir, url, '--force');
		expect(forced.code, forced.output).toBe(0);
		expect(await pgCounts(url, tables)).toEqual(sqliteCounts);

		// The app on PostgreSQL, audio read from the old install's recordings (RECORDINGS_DIR).
		const pgServer = await startServer({
			env: { DATABASE_URL: url, RECORDINGS_DIR: path.join(sqliteServer.dataDir, 'recordings') }
		});
		try {
			const health = await (await fetch(`${pgServer.url}/api/health`)).json();
			expect(health.database).toEqual({ dialect: 'postgres', ok: true });
			const anon = trpc(pgServer.url);
			expect((await anon.setup.status.query()).needsSetup).toBe(false);
			// Usernames stay case-insensitive on PostgreSQL.
			const auth = await anon.auth.login.mutate({
				username: 'dispatcher',
				password: listener.password,
				refreshTokenInBody: true
			});
			const lis = trpc(pgServer.url, { token: auth.accessToken });
			const calls = (await lis.calls.search.query({ limit: 100 })).items.map((c) => c.id);
			expect(calls).toEqual(before.calls);
			const audio = await fetch(`${pgServer.url}/api/calls/${calls[0]}/audio`, {
				headers: { authorization: `Bearer ${auth.accessToken}` }
			});
			expect(audio.status).toBe(200);
			expect(Buffer.from(await audio.arrayBuffer()).equals(fixture(WAV))).toBe(true);
			expect((await lis.alerts.rules.list.query()).map((r) => r.name)).toEqual(before.rules);
			expect((await fetch(`${pgServer.url}/s/${before.shareToken}`)).status).toBe(200);
			// New rows continue after the copied ids (the identity sequences were moved on).
			const admin = await anon.auth.login.mutate({ ...ADMIN });
			const { id } = await trpc(pgServer.url, {
				token: admin.accessToken
			}).admin.users.create.mutate({
				username: 'newcomer',
				password: 'newcomer-password',
				role: 'listener'
			});
			expect(id).toBeGreaterThan(2);
		} finally {
			await pgServer.stop();
		}
	});

	it('refuses without DATABASE_URL, and without a SQLite install to copy', async () => {
		const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-empty-'));
		const noUrl = migrateToPostgres(empty, '');
		expect(noUrl.code).toBe(1);
		expect(noUrl.output).toMatch(/set DATABASE_URL/);
		const noSqlite = migrateToPostgres(empty, await createPgDatabase(adminUrl));
		expect(noSqlite.code).toBe(1);
		expect(noSqlite.output).toMatch(/no SQLite database at/);
	});
});

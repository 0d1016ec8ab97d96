import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Generated } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ImmediateSqliteDialect } from './sqlite-dialect';

interface T {
	t: { id: Generated<number>; v: string };
}

const dirs: string[] = [];
afterEach(() => {
	for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function file(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-sqlite-'));
	dirs.push(dir);
	const f = path.join(dir, 'db');
	const s = new SQLite(f);
	s.pragma('journal_mode = WAL');
	s.exec('create table t (id integer primary key, v text)');
	s.close();
	return f;
}

describe('SQLite transactions with two connections on one file', () => {
	it('a transaction that reads first still gets to write (it holds the write lock from begin)', async () => {
		const f = file();
		const a = new Kysely<T>({ dialect: new ImmediateSqliteDialect({ database: new SQLite(f) }) });
		// The other process: no waiting, so a refusal shows at once instead of blocking this one.
		const other = new SQLite(f);
		other.pragma('busy_timeout = 0');
		let otherError: unknown = null;
		await a.transaction().execute(async (trx) => {
			await trx.selectFrom('t').selectAll().execute();
			try {
				other.prepare(`insert into t (v) values ('other')`).run();
			} catch (err) {
				otherError = err;
			}
			// With a deferred `begin` the other write lands first and this one fails with
			// SQLITE_BUSY (a stale snapshot cannot be upgraded, and busy_timeout does not apply).
			await trx.insertInto('t').values({ v: 'mine' }).execute();
		});
		expect((otherError as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
		const rows = await a.selectFrom('t').select('v').execute();
		expect(rows.map((r) => r.v)).toEqual(['mine']);
		other.close();
		await a.destroy();
	});
});

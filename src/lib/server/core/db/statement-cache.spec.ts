import { describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { withStatementCache } from './statement-cache';

/** The database, with a count of the statements really prepared on it. */
function countingPrepares(sqlite: SQLite.Database) {
	let prepared = 0;
	const counted = new Proxy(sqlite, {
		get: (target, key) =>
			key === 'prepare'
				? (sql: string) => (prepared++, target.prepare(sql))
				: Reflect.get(target, key)
	});
	return { sqlite: counted, prepared: () => prepared };
}

describe('withStatementCache', () => {
	it('prepares a SQL text once and keeps answering with fresh parameters', () => {
		const sqlite = new SQLite(':memory:');
		sqlite.exec('create table t (id integer primary key, v text)');
		const counting = countingPrepares(sqlite);
		const db = withStatementCache(counting.sqlite);
		const insert = 'insert into t (v) values (?)';
		db.prepare(insert).run(['a']);
		db.prepare(insert).run(['b']);
		expect(db.prepare('select v from t where id = ?').all([2])).toEqual([{ v: 'b' }]);
		expect(db.prepare('select v from t where id = ?').all([1])).toEqual([{ v: 'a' }]);
		expect(counting.prepared()).toBe(2);
	});

	it('keeps at most `size` statements, dropping the least recently used', () => {
		const sqlite = new SQLite(':memory:');
		const counting = countingPrepares(sqlite);
		const db = withStatementCache(counting.sqlite, 2);
		db.prepare('select 1');
		db.prepare('select 2');
		db.prepare('select 1'); // used again: now the newest
		db.prepare('select 3'); // evicts 'select 2'
		expect(counting.prepared()).toBe(3);
		db.prepare('select 1');
		expect(counting.prepared()).toBe(3);
		db.prepare('select 2');
		expect(counting.prepared()).toBe(4);
	});
});

import { describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { withStatementCache } from './statement-cache';

describe('withStatementCache', () => {
	it('prepares a SQL text once and keeps answering with fresh parameters', () => {
		const sqlite = new SQLite(':memory:');
		sqlite.exec('create table t (id integer primary key, v text)');
		let prepared = 0;
		const counting = new Proxy(sqlite, {
			get: (target, key) => (key === 'prepare' ? (sql: string) => (prepared++, target.prepare(sql)) : Reflect.get(target, key))
		});
		const db = withStatementCache(counting);
		const insert = 'insert into t (v) values (?)';
		db.prepare(insert).run(['a']);
		db.prepare(insert).run(['b']);
		expect(db.prepare('select v from t where id = ?').all([2])).toEqual([{ v: 'b' }]);
		expect(db.prepare('select v from t where id = ?').all([1])).toEqual([{ v: 'a' }]);
		expect(prepared).toBe(2);
	});

	it('keeps at most `size` statements, dropping the least recently used', () => {
		const sqlite = new SQLite(':memory:');
		let prepared = 0;
		const counting = new Proxy(sqlite, {
			get: (target, key) => (key === 'prepare' ? (sql: string) => (prepared++, target.prepare(sql)) : Reflect.get(target, key))
		});
		const db = withStatementCache(counting, 2);
		db.prepare('select 1');
		db.prepare('select 2');
		db.prepare('select 1'); // used again: now the newest
		db.prepare('select 3'); // evicts 'select 2'
		expect(prepared).toBe(3);
		db.prepare('select 1');
		expect(prepared).toBe(3);
		db.prepare('select 2');
		expect(prepared).toBe(4);
	});
});

import { parse } from 'cookie';
import { describe, expect, it } from 'vitest';
import { cookieValue, requestToken } from './request-auth';

const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;

describe('requestToken', () => {
	it('takes the Bearer header on any path, the access cookie only under /api/calls', () => {
		expect(requestToken('/api/trpc/auth.me', headers({ authorization: 'Bearer abc.def' }))).toBe(
			'abc.def'
		);
		expect(
			requestToken(
				'/api/calls/1/audio',
				headers({ authorization: 'bearer abc', cookie: 'squelch_at=xyz' })
			)
		).toBe('abc');
		expect(requestToken('/api/calls/1/audio', headers({ cookie: 'squelch_at=xyz' }))).toBe('xyz');
		expect(requestToken('/api/trpc/auth.me', headers({ cookie: 'squelch_at=xyz' }))).toBeNull();
		expect(
			requestToken('/api/calls/1/audio', headers({ authorization: 'Basic abc', cookie: 'x=1' }))
		).toBeNull();
	});
});

describe('cookieValue', () => {
	it('reads a cookie exactly as SvelteKit (the cookie package) does', () => {
		const samples = [
			'squelch_at=tok',
			'a=1; squelch_at=tok; b=2',
			'  squelch_at =  tok  ;',
			'squelch_at="quoted"',
			'squelch_at=first; squelch_at=second',
			'squelch_at=a%20b',
			'squelch_at=bad%zz',
			'junk; squelch_at=after-junk',
			'a=1;junk;squelch_at=x',
			'squelch_at=',
			'squelch_atx=1; xsquelch_at=2',
			'=; squelch_at=v=w',
			''
		];
		for (const header of samples)
			expect([header, cookieValue(header, 'squelch_at')]).toEqual([
				header,
				parse(header).squelch_at
			]);
		expect(cookieValue(null, 'squelch_at')).toBeUndefined();
	});
});

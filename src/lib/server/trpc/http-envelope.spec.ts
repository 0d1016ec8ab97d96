import { describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { TRPCRequestInfo } from '@trpc/server/http';
import { checkHttpEnvelope } from './http-envelope';

const info = (paths: string[]): TRPCRequestInfo =>
	({ isBatchCall: paths.length > 1, calls: paths.map((path) => ({ path })) }) as TRPCRequestInfo;

const post = (type: string | null) =>
	new Request('http://x/api/trpc/a', {
		method: 'POST',
		body: new TextEncoder().encode('{}'), // a string body would default to text/plain
		headers: type ? { 'content-type': type } : {}
	});

function refusal(fn: () => void): { code: string; message: string } | null {
	try {
		fn();
		return null;
	} catch (err) {
		if (!(err instanceof TRPCError)) throw err;
		return { code: err.code, message: err.message };
	}
}

const MAX_BATCH = 10;

describe('checkHttpEnvelope', () => {
	it('refuses a batch longer than the limit, naming it', () => {
		const calls = Array.from({ length: MAX_BATCH + 1 }, (_, i) => `calls.get${i}`);
		expect(
			refusal(() => checkHttpEnvelope(post('application/json'), info(calls), MAX_BATCH))
		).toEqual({
			code: 'BAD_REQUEST',
			message: 'batch: at most 10 calls per request (SQUELCH_TRPC_MAX_BATCH)'
		});
		expect(
			refusal(() => checkHttpEnvelope(post('application/json'), info(calls.slice(1)), MAX_BATCH))
		).toBeNull();
	});

	it('accepts JSON posts (any case, with parameters) and GETs', () => {
		expect(
			refusal(() => checkHttpEnvelope(post('application/json'), info(['a.b']), MAX_BATCH))
		).toBeNull();
		expect(
			refusal(() =>
				checkHttpEnvelope(post('Application/JSON; charset=utf-8'), info(['a.b']), MAX_BATCH)
			)
		).toBeNull();
		const get = new Request('http://x/api/trpc/a.b,c.d?batch=1');
		expect(refusal(() => checkHttpEnvelope(get, info(['a.b', 'c.d']), MAX_BATCH))).toBeNull();
	});

	it.each(['multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/plain'])(
		'refuses a %s post as UNSUPPORTED_MEDIA_TYPE naming content-type',
		(type) => {
			expect(
				refusal(() => checkHttpEnvelope(post(type), info(['auth.refresh']), MAX_BATCH))
			).toEqual({
				code: 'UNSUPPORTED_MEDIA_TYPE',
				message: `content-type: tRPC calls take application/json, not ${type.split(';')[0]}`
			});
		}
	);

	it('refuses a post with no content type', () => {
		expect(refusal(() => checkHttpEnvelope(post(null), info(['auth.logout']), MAX_BATCH))).toEqual({
			code: 'UNSUPPORTED_MEDIA_TYPE',
			message: 'content-type: tRPC calls take application/json, not none'
		});
	});

	it('refuses any batch holding an auth.* call, and lets auth.* alone through', () => {
		expect(
			refusal(() =>
				checkHttpEnvelope(post('application/json'), info(['calls.search', 'auth.login']), MAX_BATCH)
			)
		).toEqual({
			code: 'BAD_REQUEST',
			message: 'batch: auth.login cannot be batched; send auth.* calls one per request'
		});
		expect(
			refusal(() => checkHttpEnvelope(post('application/json'), info(['auth.login']), MAX_BATCH))
		).toBeNull();
	});
});

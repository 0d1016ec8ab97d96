import { describe, expect, it } from 'vitest';
import { matchHotRoute } from './hot-paths';

const BASE = 'https://scanner.example.org';
const kind = (method: string, target: string, base = BASE) =>
	matchHotRoute(method, target, base)?.kind ?? 'kit';

describe('matchHotRoute', () => {
	it('takes the upload paths on every shape recorders use, with any method and query', () => {
		for (const target of [
			'/api/call-upload',
			'//api/call-upload',
			'///api/call-upload',
			'/api/call-upload/',
			'//api/call-upload//',
			'/api/trunk-recorder-call-upload',
			'//api/trunk-recorder-call-upload/',
			'/api/call-upload?key=sq_abc',
			'//api/call-upload/?key=sq_abc&x=1'
		]) {
			expect([target, kind('POST', target)]).toEqual([target, 'upload']);
		}
		for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])
			expect(kind(method, '/api/call-upload')).toBe('upload');
	});

	it('hands the query on, for ?key=', () => {
		const route = matchHotRoute('POST', '//api/call-upload/?key=sq_a%2Bb', BASE);
		expect(route?.kind === 'upload' && route.query.get('key')).toBe('sq_a+b');
	});

	it('leaves to SvelteKit the upload-like paths it would not route to the endpoint', () => {
		for (const target of [
			'/api/call-upload//',
			'/api/call-uploadx',
			'/api/call-upload/x',
			'/API/call-upload',
			'/api/call%2Dupload',
			'/api/calls-upload',
			'/x/api/call-upload'
		]) {
			expect([target, kind('POST', target)]).toEqual([target, 'kit']);
		}
		// Methods a web Request cannot carry: Kit's adapter answers them 400.
		expect(kind('TRACE', '/api/call-upload')).toBe('kit');
	});

	it('takes GET and HEAD on /api/calls/<segment>/audio, with a query; the segment is checked by the endpoint', () => {
		expect(matchHotRoute('GET', '/api/calls/42/audio', BASE)).toEqual({
			kind: 'audio',
			id: '42',
			pathname: '/api/calls/42/audio'
		});
		expect(matchHotRoute('HEAD', '/api/calls/42/audio?v=1', BASE)).toMatchObject({
			kind: 'audio',
			id: '42'
		});
		// Kit routes this one to the endpoint too, which answers 404: the same happens here.
		expect(matchHotRoute('GET', '/api/calls/abc/audio', BASE)).toMatchObject({
			kind: 'audio',
			id: 'abc'
		});
		// Dot segments are resolved as Kit's URL resolves them.
		expect(matchHotRoute('GET', '/api/x/../calls/7/audio', BASE)).toMatchObject({
			kind: 'audio',
			id: '7'
		});
	});

	it('leaves every other audio-like request to SvelteKit, as it answers them today', () => {
		for (const [method, target] of [
			['GET', '/api/calls/1/audiox'], // Kit: 404 page
			['GET', '/api/calls/1/audio/'], // Kit: 308 to the path without the slash
			['GET', '//api/calls/1/audio'], // Kit: 404 page (no reroute for audio)
			['GET', '/api/calls/%31/audio'], // Kit decodes, then routes
			['GET', '/api/calls/1/2/audio'],
			['GET', '/api/calls//audio'],
			['POST', '/api/calls/1/audio'], // Kit: 405 "POST method not allowed"
			['OPTIONS', '/api/calls/1/audio'],
			['GET', '/api/health'],
			['GET', '/']
		]) {
			expect([method, target, kind(method, target)]).toEqual([method, target, 'kit']);
		}
	});

	it('builds the URL as SvelteKit does and leaves it to Kit when that fails', () => {
		// A Host header that makes the URL invalid, or carry credentials: Kit answers 400.
		expect(kind('POST', '/api/call-upload', 'https://bad host')).toBe('kit');
		expect(kind('POST', '/api/call-upload', 'https://user:pw@evil')).toBe('kit');
		// The request target is appended to the base, not resolved against it.
		expect(kind('POST', '//api/call-upload', 'https://h')).toBe('upload');
	});
});

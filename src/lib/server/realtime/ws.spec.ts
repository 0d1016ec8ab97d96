import { describe, expect, it } from 'vitest';
import { asksForConnectionParams } from './ws';

describe('asksForConnectionParams', () => {
	it('reads the query exactly as URLSearchParams does', () => {
		const urls = [
			'/api/ws',
			'/api/ws?',
			'/api/ws?connectionParams=1',
			'/api/ws?connectionParams=0',
			'/api/ws?connectionParams',
			'/api/ws?connectionParams=',
			'/api/ws?connectionParams=11',
			'/api/ws?x=1&connectionParams=1',
			'/api/ws?connectionParams=0&connectionParams=1',
			'/api/ws?connectionParams=1&connectionParams=0',
			'/api/ws?connectionParamsX=1',
			'/api/ws?xconnectionParams=1',
			'/api/ws?connectionParams=1#frag',
			'/api/ws?#connectionParams=1',
			'/api/ws?connection%50arams=1',
			'/api/ws?connectionParams=%31',
			'/api/ws?connectionParams=1+',
			'/api/ws?a=%zz&connectionParams=1',
			'/api/ws?=1&connectionParams=1&'
		];
		for (const url of urls)
			expect([url, asksForConnectionParams(url)]).toEqual([
				url,
				new URL(url, 'http://x').searchParams.get('connectionParams') === '1'
			]);
		// The cases above do cover both answers.
		expect(urls.filter(asksForConnectionParams)).toHaveLength(8);
	});
});

import { describe, expect, it } from 'vitest';
import { codeOf } from '../testing';
import { checkEndpoint, isPrivateAddress } from './push-endpoint';

const resolvesTo =
	(...addresses: string[]) =>
	async () =>
		addresses;

describe('push endpoint checks', () => {
	it.each([
		'127.0.0.1',
		'10.1.2.3',
		'172.16.0.1',
		'192.168.1.10',
		'169.254.169.254',
		'100.64.0.1',
		'0.0.0.0',
		'::1',
		'::',
		'fe80::1',
		'fd00::1',
		'::ffff:127.0.0.1'
	])('%s is private', (address) => expect(isPrivateAddress(address)).toBe(true));

	it.each(['8.8.8.8', '142.250.74.10', '2001:4860:4860::8888'])('%s is public', (address) =>
		expect(isPrivateAddress(address)).toBe(false)
	);

	it('accepts an https endpoint that resolves to public addresses', async () => {
		const url = await checkEndpoint('https://fcm.googleapis.com/fcm/send/abc', {
			allowPrivate: false,
			resolve: resolvesTo('142.250.74.10', '2001:4860:4860::8888')
		});
		expect(url.hostname).toBe('fcm.googleapis.com');
	});

	it('refuses http, credentials, garbage, and hosts that resolve (even partly) to private space', async () => {
		const opts = { allowPrivate: false, resolve: resolvesTo('8.8.8.8') };
		expect(await codeOf(checkEndpoint('http://push.example/x', opts))).toBe('BAD_REQUEST');
		expect(await codeOf(checkEndpoint('https://u:p@push.example/x', opts))).toBe('BAD_REQUEST');
		expect(await codeOf(checkEndpoint('not a url', opts))).toBe('BAD_REQUEST');
		const rebinding = { allowPrivate: false, resolve: resolvesTo('8.8.8.8', '127.0.0.1') };
		expect(await codeOf(checkEndpoint('https://push.example/x', rebinding))).toBe('BAD_REQUEST');
		expect(await codeOf(checkEndpoint('https://[::1]/x', opts))).toBe('BAD_REQUEST');
		expect(await codeOf(checkEndpoint('https://10.0.0.5/x', opts))).toBe('BAD_REQUEST');
		const fails = {
			allowPrivate: false,
			resolve: async () => {
				throw new Error('ENOTFOUND');
			}
		};
		expect(await codeOf(checkEndpoint('https://nowhere.invalid/x', fails))).toBe('BAD_REQUEST');
	});

	it('allows private hosts only when the operator says so', async () => {
		const url = await checkEndpoint('https://127.0.0.1:8443/push', { allowPrivate: true });
		expect(url.port).toBe('8443');
		expect(await codeOf(checkEndpoint('http://127.0.0.1/push', { allowPrivate: true }))).toBe(
			'BAD_REQUEST'
		);
	});
});

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const derived = { origin: null, trustProxy: false };

describe('originAllowed', () => {
	it('without ORIGIN, accepts the request host as origin when it is an address or localhost, with or without default ports', () => {
		expect(
			originAllowed(req({ host: '192.168.1.10:3000', origin: 'http://192.168.1.10:3000' }), derived)
		).toBe(true);
		expect(originAllowed(req({ host: '[::1]:3000', origin: 'http://[::1]:3000' }), derived)).toBe(
			true
		);
		expect(
			originAllowed(req({ host: 'localhost', origin: 'https://localhost:443' }), derived)
		).toBe(true);
		expect(originAllowed(req({ host: 'LOCALHOST', origin: 'http://localhost' }), derived)).toBe(
			true
		);
	});

	it('without ORIGIN, refuses a name as host: the shape of DNS rebinding (set ORIGIN to use a name)', () => {
		// evil.example rebound to this server's address: its page sends a matching Origin and Host.
		expect(
			originAllowed(req({ host: 'evil.example:3000', origin: 'http://evil.example:3000' }), derived)
		).toBe(false);
		expect(
			originAllowed(req({ host: 'scanner.lan:3000', origin: 'http://scanner.lan:3000' }), derived)
		).toBe(false);
		const named = { origin: 'http://scanner.lan:3000', trustProxy: false };
		expect(
			originAllowed(req({ host: 'scanner.lan:3000', origin: 'http://scanner.lan:3000' }), named)
		).toBe(true);
	});

	it('refuses another site, another port, "null" and garbage', () => {
		expect(
			originAllowed(req({ host: 'scanner.lan', origin: 'http://evil.example' }), derived)
		).toBe(false);
		expect(
			originAllowed(req({ host: 'scanner.lan:3000', origin: 'http://scanner.lan:4000' }), derived)
		).toBe(false);
		expect(originAllowed(req({ host: 'scanner.lan', origin: 'null' }), derived)).toBe(false);
		expect(originAllowed(req({ host: 'scanner.lan', origin: '::' }), derived)).toBe(false);
		expect(originAllowed(req({ origin: 'http://scanner.lan' }), derived)).toBe(false);
	});

	it('allows clients that send no Origin (not browsers)', () => {
		expect(originAllowed(req({ host: 'scanner.lan' }), derived)).toBe(true);
	});

	it('uses ORIGIN when configured, ignoring the Host header', () => {
		const cfg = { origin: 'https://scanner.example.org', trustProxy: false };
		expect(
			originAllowed(req({ host: 'internal:3000', origin: 'https://scanner.example.org' }), cfg)
		).toBe(true);
		expect(originAllowed(req({ host: 'internal:3000', origin: 'http://internal:3000' }), cfg)).toBe(
			false
		);
	});

	it('trusts X-Forwarded-Host only behind a trusted proxy', () => {
		const headers = {
			host: 'internal:3000',
			'x-forwarded-host': 'scanner.example.org',
			origin: 'https://scanner.example.org'
		};
		expect(originAllowed(req(headers), derived)).toBe(false);
		expect(originAllowed(req(headers), { origin: null, trustProxy: true })).toBe(true);
	});
});

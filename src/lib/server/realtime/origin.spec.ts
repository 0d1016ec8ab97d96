import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const derived = { origin: null, trustProxy: false };

describe('originAllowed', () => {
	it('accepts the request host as origin, with or without default ports', () => {
		expect(
			originAllowed(req({ host: 'scanner.lan:3000', origin: 'http://scanner.lan:3000' }), derived)
		).toBe(true);
		expect(
			originAllowed(req({ host: 'scanner.lan', origin: 'https://scanner.lan:443' }), derived)
		).toBe(true);
		expect(originAllowed(req({ host: 'Scanner.LAN', origin: 'http://scanner.lan' }), derived)).toBe(
			true
		);
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

import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

describe('config', () => {
	it('has the documented defaults', () => {
		expect(parseConfig({})).toMatchObject({
			port: 3000,
			host: '0.0.0.0',
			origin: null,
			accessTtlSec: 900,
			refreshTtlSec: 2_592_000,
			maxSessions: 20,
			refreshGraceSec: 30,
			trustProxy: false,
			wsMaxSubscriptions: 20,
			wsMaxSocketsPerIp: 32,
			wsAuthTimeoutSec: 15,
			loginAttempts: { perUsername: 5, perIp: 20 },
			trpcMaxBatch: 10,
			hashConcurrency: 1,
			hashQueue: 32,
			alertsPerMinute: 10,
			pushAllowPrivate: false
		});
	});

	it.each([
		['PORT', 'http'],
		['SQUELCH_ACCESS_TTL', '15m'],
		['SQUELCH_REFRESH_TTL', '-1'],
		['SQUELCH_MAX_SESSIONS', '0'],
		['SQUELCH_REFRESH_GRACE', '1.5'],
		['ORIGIN', 'ftp://example.org'],
		['SQUELCH_WS_MAX_SUBSCRIPTIONS', '0'],
		['SQUELCH_WS_MAX_PER_IP', 'many'],
		['SQUELCH_WS_AUTH_TIMEOUT', '0'],
		['SQUELCH_TRPC_MAX_BATCH', '0'],
		['SQUELCH_HASH_CONCURRENCY', '17'],
		['SQUELCH_HASH_QUEUE', 'many'],
		['SQUELCH_LOGIN_USER_ATTEMPTS', '0'],
		['SQUELCH_LOGIN_IP_ATTEMPTS', '-5'],
		['SQUELCH_ALERTS_PER_MINUTE', '0']
	])('refuses a malformed %s, naming it', (name, value) => {
		expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
		expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
	});

	it('reads SQUELCH_TRUST_PROXY as set / unset', () => {
		expect(parseConfig({ SQUELCH_TRUST_PROXY: '1' }).trustProxy).toBe(true);
		expect(parseConfig({ SQUELCH_TRUST_PROXY: 'loopback' }).trustProxy).toBe(true);
		expect(parseConfig({ SQUELCH_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
		expect(parseConfig({ SQUELCH_TRUST_PROXY: '' }).trustProxy).toBe(false);
	});

	it('normalises ORIGIN to scheme://host[:port]', () => {
		expect(parseConfig({ ORIGIN: 'https://scanner.example.org/' }).origin).toBe(
			'https://scanner.example.org'
		);
	});
});

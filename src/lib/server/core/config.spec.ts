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
			alertBatchMs: 100,
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
		['SQUELCH_ALERTS_PER_MINUTE', '0'],
		['SQUELCH_ALERT_BATCH_MS', '1001']
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

	it('gives the http.Server room for a 50 MiB upload on a slow uplink, and bounds it', () => {
		expect(parseConfig({})).toMatchObject({ requestTimeoutMs: 900_000, headersTimeoutMs: 60_000 });
		expect(parseConfig({ SQUELCH_REQUEST_TIMEOUT: '3600' }).requestTimeoutMs).toBe(3_600_000);
		expect(() => parseConfig({ SQUELCH_REQUEST_TIMEOUT: '0' })).toThrow(
			/^SQUELCH_REQUEST_TIMEOUT: /
		);
		expect(() => parseConfig({ SQUELCH_HEADERS_TIMEOUT: '1h' })).toThrow(
			/^SQUELCH_HEADERS_TIMEOUT: /
		);
	});

	it('names the adapter-node options that leave audio and uploads to SvelteKit', () => {
		expect(parseConfig({ BODY_SIZE_LIMIT: 'Infinity' })).toMatchObject({
			hotRoutes: true,
			kitOnlyOptions: []
		});
		expect(
			parseConfig({ BODY_SIZE_LIMIT: '512K', ADDRESS_HEADER: 'x-real-ip' }).kitOnlyOptions
		).toEqual(['ADDRESS_HEADER', 'BODY_SIZE_LIMIT']);
		expect(parseConfig({ SQUELCH_HOT_ROUTES: 'off' }).hotRoutes).toBe(false);
	});

	it('normalises ORIGIN to scheme://host[:port]', () => {
		expect(parseConfig({ ORIGIN: 'https://scanner.example.org/' }).origin).toBe(
			'https://scanner.example.org'
		);
	});
});

describe('config for sharing, forwarding and folder ingest', () => {
	it('has the documented defaults', () => {
		expect(parseConfig({})).toMatchObject({
			ffmpegPath: 'ffmpeg',
			stitchTimeoutSec: 120,
			forwardMaxAgeSec: 172_800,
			forwardRetryMaxSec: 300,
			watchDirs: [],
			watchKey: null,
			watchMode: 'leave',
			watchSettleMs: 2000
		});
	});

	it('reads SQUELCH_WATCH_DIRS as DIR=SYSTEM[:FORMAT] entries', () => {
		const cfg = parseConfig({
			SQUELCH_WATCH_DIRS: '/srv/tr/a=1; /srv/tr/b=22:trunk-recorder;/srv/sdr=3:sdrtrunk',
			SQUELCH_WATCH_KEY: 'sq_x'
		});
		expect(cfg.watchDirs).toEqual([
			{ dir: '/srv/tr/a', system: 1, format: 'trunk-recorder' },
			{ dir: '/srv/tr/b', system: 22, format: 'trunk-recorder' },
			{ dir: '/srv/sdr', system: 3, format: 'sdrtrunk' }
		]);
	});

	it.each([
		[{ SQUELCH_WATCH_DIRS: '/srv/tr', SQUELCH_WATCH_KEY: 'k' }, 'SQUELCH_WATCH_DIRS'],
		[{ SQUELCH_WATCH_DIRS: '/srv/tr=0', SQUELCH_WATCH_KEY: 'k' }, 'SQUELCH_WATCH_DIRS'],
		[{ SQUELCH_WATCH_DIRS: '/srv/tr=1:voxcall', SQUELCH_WATCH_KEY: 'k' }, 'SQUELCH_WATCH_DIRS'],
		[{ SQUELCH_WATCH_DIRS: '/srv/tr=1' }, 'SQUELCH_WATCH_KEY'],
		[{ SQUELCH_WATCH_MODE: 'copy' }, 'SQUELCH_WATCH_MODE'],
		[{ SQUELCH_STITCH_TIMEOUT: '1' }, 'SQUELCH_STITCH_TIMEOUT'],
		[{ SQUELCH_FORWARD_RETRY_MAX: 'soon' }, 'SQUELCH_FORWARD_RETRY_MAX']
	])('refuses %o, naming %s', (env, name) => {
		expect(() => parseConfig(env)).toThrow(new RegExp(`^${name}: `));
	});
});

/**
 * A typed Squelch consumer: signs in, follows live calls over the WebSocket, stays connected
 * across access-token expiries, and downloads each call's audio.
 *
 *   SQUELCH_URL=http://localhost:3000 SQUELCH_USERNAME=me SQUELCH_PASSWORD=secret \
 *     npx tsx examples/listen.ts [--out ./calls] [--max-calls 10]
 *
 * Without a cookie jar: the login asks for the refresh token in the body, and every refresh
 * presents it and gets its successor back.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
	createTRPCClient,
	createWSClient,
	httpLink,
	splitLink,
	TRPCClientError,
	wsLink
} from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '../src/lib/server/trpc/root';

const baseUrl = (process.env.SQUELCH_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const username = process.env.SQUELCH_USERNAME ?? '';
const password = process.env.SQUELCH_PASSWORD ?? '';
const args = process.argv.slice(2);
const option = (name: string) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
};
const outDir = option('--out');
const maxCalls = Number(option('--max-calls') ?? Infinity);

if (!username || !password) {
	console.error('Set SQUELCH_USERNAME and SQUELCH_PASSWORD (and SQUELCH_URL).');
	process.exit(2);
}

// --- tokens: one refresh at a time, scheduled before expiry, reused by every caller ---------
let accessToken = '';
let expiresAt = 0;
let lifetime = 0;
let refreshToken = '';
let refreshing: Promise<void> | null = null;
let refreshTimer: NodeJS.Timeout | undefined;

const http = createTRPCClient<AppRouter>({
	links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson })]
});

function accept(auth: {
	accessToken: string;
	accessTokenExpiresAt: number;
	refreshToken?: string;
}) {
	accessToken = auth.accessToken;
	expiresAt = auth.accessTokenExpiresAt;
	if (auth.refreshToken) refreshToken = auth.refreshToken;
	const ttl = (lifetime = expiresAt - Date.now());
	clearTimeout(refreshTimer);
	// A minute early, or a quarter of a short lifetime early.
	refreshTimer = setTimeout(
		() => void refresh().catch(fail),
		Math.max(500, ttl - Math.min(60_000, ttl / 4))
	);
}

function refresh(): Promise<void> {
	refreshing ??= http.auth.refresh
		.mutate({ refreshToken })
		.then((auth) => {
			accept(auth);
			console.log(`token refreshed, valid until ${new Date(expiresAt).toISOString()}`);
		})
		.finally(() => (refreshing = null));
	return refreshing;
}

/** The access token, refreshed first when it is nearly spent. */
async function token(): Promise<string> {
	if (expiresAt - Date.now() < Math.min(5_000, lifetime / 4)) await refresh();
	return accessToken;
}

// --- the one client: subscriptions over the WebSocket, the rest over HTTP -------------------
const wsClient = createWSClient({
	url: `${baseUrl.replace(/^http/, 'ws')}/api/ws`,
	WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
	// Called for every new socket, so each reconnect authenticates with a current token.
	connectionParams: async () => ({ token: await token() }),
	retryDelayMs: (attempt) =>
		attempt === 0
			? Math.random() * 250
			: Math.min(30_000, 1_000 * 2 ** attempt) * (0.5 + Math.random() / 2),
	onOpen: () => console.log('connected'),
	onClose: (cause) => {
		const { code, reason } = (cause ?? {}) as { code?: number; reason?: string };
		if (code === 4003) {
			console.error(`signed out by the server (${reason}); trying one refresh`);
			refresh().catch(fail);
		}
	}
});

const api = createTRPCClient<AppRouter>({
	links: [
		splitLink({
			condition: (op) => op.type === 'subscription',
			true: wsLink({ client: wsClient, transformer: superjson }),
			false: httpLink({
				url: `${baseUrl}/api/trpc`,
				transformer: superjson,
				headers: async () => ({ authorization: `Bearer ${await token()}` })
			})
		})
	]
});

async function download(call: {
	id: number;
	audioUrl: string;
	audioType: string;
}): Promise<number> {
	const response = await fetch(new URL(call.audioUrl, baseUrl), {
		headers: { authorization: `Bearer ${await token()}` }
	});
	if (!response.ok) throw new Error(`audio of call ${call.id}: HTTP ${response.status}`);
	const bytes = Buffer.from(await response.arrayBuffer());
	if (outDir) {
		fs.mkdirSync(outDir, { recursive: true });
		const ext = call.audioType.includes('mp4') ? 'm4a' : (call.audioType.split('/')[1] ?? 'bin');
		fs.writeFileSync(path.join(outDir, `${call.id}.${ext}`), bytes);
	}
	return bytes.length;
}

let received = 0;
let stopping = false;
let subscription: { unsubscribe(): void } | undefined;

async function stop(code = 0) {
	if (stopping) return;
	stopping = true;
	clearTimeout(refreshTimer);
	subscription?.unsubscribe();
	await wsClient.close();
	process.exit(code);
}

function fail(err: unknown) {
	const code = err instanceof TRPCClientError ? err.data?.code : undefined;
	console.error(
		`stopped: ${code ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`
	);
	void stop(1);
}

try {
	accept(await http.auth.login.mutate({ username, password, refreshTokenInBody: true }));
	const me = await api.auth.me.query();
	console.log(`signed in as ${me.username} (${me.role})`);
} catch (err) {
	fail(err);
}

// Downloads run one after another, in the order the calls arrive.
let queue = Promise.resolve();
if (!stopping)
	subscription = api.live.calls.subscribe(
		{},
		{
			onStarted: () => console.log('listening'),
			onData: ({ id, data: call }) => {
				queue = queue.then(async () => {
					const size = await download(call).catch((err) => (console.error(String(err)), -1));
					console.log(
						`call ${id} ${call.dateTime.toISOString()} system=${call.system.id} talkgroup=${call.talkgroup.id} (${call.talkgroup.label}) audio=${size} bytes`
					);
					if (++received >= maxCalls) await stop(0);
				});
			},
			onError: fail
		}
	);

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTRPCUntypedClient, httpLink, TRPCClientError } from '@trpc/client';
import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { appRouter } from '../../src/lib/server/trpc/root';
import { createCallerFactory, type Meta } from '../../src/lib/server/trpc/init';
import type { Context } from '../../src/lib/server/trpc/context';
import { buildServices, type Services } from '../../src/lib/server/app';
import { createTestDb } from '../../src/lib/server/core/db';
import { parseConfig } from '../../src/lib/server/core/config';
import type { Viewer } from '../../src/lib/server/auth/access-token';
import { createAndSignIn, signInAdmin, type Client } from '../helpers/client';
import { startServer, type TestServer } from '../helpers/server';

/**
 * The role matrix, read from the router itself: every procedure appRouter holds is checked by the
 * access its base procedure declared (meta.access), so a new procedure cannot be missed. Queries
 * and mutations go to the real server over HTTP; subscriptions cannot be called over plain HTTP
 * links, so they are called through createCaller with a context built the way the WebSocket path
 * builds it (same services, a viewer or none), which runs the same middleware chain.
 */
interface ProcedureInfo {
	path: string;
	type: 'query' | 'mutation' | 'subscription';
	access: Meta['access'] | undefined;
}

const procedures: ProcedureInfo[] = Object.entries(
	appRouter._def.procedures as unknown as Record<
		string,
		{ _def: { type: ProcedureInfo['type']; meta?: Meta } }
	>
).map(([path, procedure]) => ({
	path,
	type: procedure._def.type,
	access: procedure._def.meta?.access
}));
const byAccess = (access: Meta['access']) => procedures.filter((p) => p.access === access);
const overHttp = (list: ProcedureInfo[]) => list.filter((p) => p.type !== 'subscription');
const subscriptions = (list: ProcedureInfo[]) => list.filter((p) => p.type === 'subscription');

/** Procedures anyone may call without signing in. Adding one here is a security decision. */
const PUBLIC_ALLOWED = new Set(['setup.status', 'setup.createAdmin', 'auth.login', 'auth.refresh']);

function untyped(baseUrl: string, token?: string) {
	return createTRPCUntypedClient({
		links: [
			httpLink({
				url: `${baseUrl}/api/trpc`,
				transformer: superjson,
				headers: () => (token ? { authorization: `Bearer ${token}` } : {})
			})
		]
	});
}

/** The outcome of calling a procedure with a dummy (missing) input: 'OK' or the error code. */
async function outcomeOverHttp(
	client: ReturnType<typeof untyped>,
	p: ProcedureInfo
): Promise<string> {
	try {
		if (p.type === 'query') await client.query(p.path, undefined);
		else await client.mutation(p.path, undefined);
		return 'OK';
	} catch (err) {
		if (err instanceof TRPCClientError) return err.data?.code ?? 'UNKNOWN';
		throw err;
	}
}

let server: TestServer;
let admin: { token: string; client: Client };
let listener: { token: string };

beforeAll(async () => {
	server = await startServer();
	admin = await signInAdmin(server.url);
	listener = await createAndSignIn(server.url, admin.client, 'matrix-listener');
});

afterAll(async () => {
	await server?.stop();
});

describe('role matrix (from appRouter)', () => {
	it('every procedure declares its access through a base procedure', () => {
		expect(procedures.length).toBeGreaterThan(10);
		expect(procedures.filter((p) => !p.access).map((p) => p.path)).toEqual([]);
		expect(
			byAccess('public')
				.map((p) => p.path)
				.filter((p) => !PUBLIC_ALLOWED.has(p))
		).toEqual([]);
		// The admin area is admins only, whatever else is public.
		expect(
			procedures
				.filter((p) => p.path.startsWith('admin.') && p.access !== 'admin')
				.map((p) => p.path)
		).toEqual([]);
		// The admin API of this branch is in the matrix (more joins it as other branches land).
		expect(overHttp(byAccess('admin')).length).toBeGreaterThanOrEqual(20);
	});

	for (const publicListening of [false, true]) {
		describe(`with public listening ${publicListening ? 'on' : 'off'}`, () => {
			beforeAll(async () => {
				await admin.client.admin.settings.update.mutate({ publicListening });
			});

			it('admin procedures refuse an anonymous caller (UNAUTHORIZED) and a listener (FORBIDDEN)', async () => {
				const anon = untyped(server.url);
				const lis = untyped(server.url, listener.token);
				const wrong: string[] = [];
				for (const p of overHttp(byAccess('admin'))) {
					const a = await outcomeOverHttp(anon, p);
					const l = await outcomeOverHttp(lis, p);
					if (a !== 'UNAUTHORIZED') wrong.push(`${p.path} anonymous → ${a}`);
					if (l !== 'FORBIDDEN') wrong.push(`${p.path} listener → ${l}`);
				}
				expect(wrong).toEqual([]);
			});

			it('authed procedures refuse an anonymous caller', async () => {
				const anon = untyped(server.url);
				const wrong: string[] = [];
				for (const p of overHttp(byAccess('authed'))) {
					const a = await outcomeOverHttp(anon, p);
					if (a !== 'UNAUTHORIZED') wrong.push(`${p.path} anonymous → ${a}`);
				}
				expect(wrong).toEqual([]);
			});

			it(`listener procedures ${publicListening ? 'let an anonymous caller through (only input errors)' : 'refuse an anonymous caller'}`, async () => {
				const anon = untyped(server.url);
				const lis = untyped(server.url, listener.token);
				const wrong: string[] = [];
				for (const p of overHttp(byAccess('listener'))) {
					const a = await outcomeOverHttp(anon, p);
					if (
						publicListening
							? ['UNAUTHORIZED', 'FORBIDDEN', 'INTERNAL_SERVER_ERROR'].includes(a)
							: a !== 'UNAUTHORIZED'
					) {
						wrong.push(`${p.path} anonymous → ${a}`);
					}
					const l = await outcomeOverHttp(lis, p);
					if (['UNAUTHORIZED', 'FORBIDDEN', 'INTERNAL_SERVER_ERROR'].includes(l))
						wrong.push(`${p.path} listener → ${l}`);
				}
				expect(wrong).toEqual([]);
			});
		});
	}

	it('an admin gets past the guard of every admin query', async () => {
		const client = untyped(server.url, admin.token);
		const wrong: string[] = [];
		for (const p of overHttp(byAccess('admin')).filter((p) => p.type === 'query')) {
			const outcome = await outcomeOverHttp(client, p);
			if (['UNAUTHORIZED', 'FORBIDDEN', 'INTERNAL_SERVER_ERROR'].includes(outcome))
				wrong.push(`${p.path} admin → ${outcome}`);
		}
		expect(wrong).toEqual([]);
	});
});

describe('role matrix for subscriptions (createCaller, same middleware)', () => {
	let services: Services;
	const createCaller = createCallerFactory(appRouter);
	const viewer = (role: Viewer['role']): Viewer => ({
		userId: 1,
		username: role,
		role,
		sessionId: 'matrix',
		tokenExpiresAt: Date.now() + 60_000
	});
	const context = (v: Viewer | null): Context => ({
		services,
		viewer: v,
		ip: '127.0.0.1',
		userAgent: 'matrix',
		transport: 'ws',
		http: null
	});

	async function outcome(path: string, v: Viewer | null): Promise<string> {
		const fn = path
			.split('.')
			.reduce<unknown>(
				(node, key) => (node as Record<string, unknown>)[key],
				createCaller(context(v))
			) as (input: unknown) => Promise<unknown>;
		try {
			const result = await fn(undefined);
			// Never iterate: stop a generator the resolver may have started.
			await (result as AsyncIterator<unknown> | undefined)?.return?.();
			return 'OK';
		} catch (err) {
			if (err instanceof TRPCError) return err.code;
			throw err;
		}
	}

	beforeAll(async () => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-matrix-'));
		services = await buildServices(
			parseConfig({ DATA_DIR: dataDir }),
			undefined,
			await createTestDb()
		);
	});

	it('admin subscriptions refuse anonymous and listeners; listener subscriptions follow public listening', async () => {
		const { updateSettings } = await import('../../src/lib/server/core/settings');
		const wrong: string[] = [];
		for (const p of subscriptions(byAccess('admin'))) {
			if ((await outcome(p.path, null)) !== 'UNAUTHORIZED') wrong.push(`${p.path} anonymous`);
			if ((await outcome(p.path, viewer('listener'))) !== 'FORBIDDEN')
				wrong.push(`${p.path} listener`);
		}
		for (const p of subscriptions(byAccess('authed'))) {
			if ((await outcome(p.path, null)) !== 'UNAUTHORIZED') wrong.push(`${p.path} anonymous`);
		}
		for (const p of subscriptions(byAccess('listener'))) {
			await updateSettings(services, { publicListening: false });
			if ((await outcome(p.path, null)) !== 'UNAUTHORIZED')
				wrong.push(`${p.path} anonymous, private`);
			await updateSettings(services, { publicListening: true });
			if (['UNAUTHORIZED', 'FORBIDDEN'].includes(await outcome(p.path, null)))
				wrong.push(`${p.path} anonymous, public`);
		}
		expect(wrong).toEqual([]);
	});
});

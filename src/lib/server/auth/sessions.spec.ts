import { describe, expect, it } from 'vitest';
import { testServices } from '../testing';
import { insertUser, login } from './accounts';
import { signAccessToken, verifyAccessToken } from './access-token';
import { createSession, listSessions, revokeSession, rotateRefreshToken } from './sessions';

const PHONE = {
	userAgent:
		'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
	ip: '10.0.0.2',
	rememberMe: true
};

async function setup(env: Record<string, string> = {}) {
	const svc = await testServices(env);
	const userId = await insertUser(svc, {
		username: 'ann',
		password: 'password-ann',
		role: 'listener'
	});
	const revoked: string[] = [];
	svc.bus.subscribe('session.revoked', (e) => revoked.push(`${e.sessionId}:${e.reason}`));
	return { svc, userId, revoked };
}

async function accessFor(
	svc: Awaited<ReturnType<typeof setup>>['svc'],
	userId: number,
	sessionId: string
) {
	return (await signAccessToken(svc, { userId, username: 'ann', role: 'listener', sessionId }))
		.token;
}

describe('sessions', () => {
	it(
		'survives a simulated day of three devices refreshing before every expiry, one session each',
		{ timeout: 60_000 },
		async () => {
			const { svc, userId } = await setup();
			const devices = await Promise.all(
				['desktop', 'phone', 'tablet'].map(async (name, i) => {
					const issued = await createSession(svc, userId, {
						...PHONE,
						userAgent: name,
						ip: `10.0.0.${i}`
					});
					return {
						name,
						sessionId: issued.session.id,
						refresh: issued.refreshToken,
						access: await accessFor(svc, userId, issued.session.id),
						expiresAt: svc.clock.now() + 900_000
					};
				})
			);
			const end = svc.clock.now() + 24 * 3600_000;
			let refreshes = 0;
			while (svc.clock.now() < end) {
				svc.clock.advance(30_000);
				for (const device of devices) {
					// Each device uses its access token all the time, and refreshes a minute before expiry.
					expect(
						await verifyAccessToken(svc, device.access),
						`${device.name} at ${svc.clock.now()}`
					).not.toBeNull();
					if (device.expiresAt - svc.clock.now() <= 60_000) {
						const outcome = await rotateRefreshToken(svc, device.refresh);
						expect(outcome.ok, `${device.name} refresh`).toBe(true);
						if (!outcome.ok) return;
						device.refresh = outcome.refreshToken;
						device.access = await accessFor(svc, userId, device.sessionId);
						device.expiresAt = svc.clock.now() + 900_000;
						refreshes++;
					}
				}
			}
			expect(refreshes).toBeGreaterThan(3 * 90);
			const sessions = await listSessions(svc, userId, null);
			expect(sessions.map((s) => s.id).sort()).toEqual(devices.map((d) => d.sessionId).sort());
		}
	);

	it('the 21st login revokes only the least recently used session', async () => {
		const { svc, userId, revoked } = await setup();
		const issued = [];
		for (let i = 0; i < 20; i++) {
			issued.push(await createSession(svc, userId, { ...PHONE, ip: `10.0.1.${i}` }));
			svc.clock.advance(1000);
		}
		// Device 0 is used again, so device 1 is now the least recently used.
		const again = await rotateRefreshToken(svc, issued[0].refreshToken);
		expect(again.ok).toBe(true);
		svc.clock.advance(1000);
		const access1 = await accessFor(svc, userId, issued[1].session.id);
		await createSession(svc, userId, PHONE);

		expect(revoked).toEqual([`${issued[1].session.id}:cap`]);
		expect(await verifyAccessToken(svc, access1)).toBeNull();
		expect(await rotateRefreshToken(svc, issued[1].refreshToken)).toEqual({
			ok: false,
			reason: 'revoked',
			revokeReason: 'cap'
		});
		expect((await listSessions(svc, userId, null)).length).toBe(20);
		for (const i of [2, 5, 19])
			expect((await rotateRefreshToken(svc, issued[i].refreshToken)).ok).toBe(true);
	});

	it('two refreshes racing with the same token both succeed with the same successor', async () => {
		const { svc, userId } = await setup();
		const { refreshToken } = await createSession(svc, userId, PHONE);
		const [a, b] = await Promise.all([
			rotateRefreshToken(svc, refreshToken),
			rotateRefreshToken(svc, refreshToken)
		]);
		expect(a.ok && b.ok).toBe(true);
		if (!a.ok || !b.ok) return;
		expect(a.refreshToken).toBe(b.refreshToken);
		expect((await rotateRefreshToken(svc, a.refreshToken)).ok).toBe(true);
	});

	it('many refreshes racing with one token (separate pool connections on PostgreSQL) give one successor and move the family once', async () => {
		const { svc, userId, revoked } = await setup();
		const { session, refreshToken } = await createSession(svc, userId, PHONE);
		const outcomes = await Promise.all(
			Array.from({ length: 8 }, () => rotateRefreshToken(svc, refreshToken))
		);
		const successors = new Set(outcomes.map((o) => (o.ok ? o.refreshToken : o.reason)));
		expect([...successors]).toHaveLength(1);
		expect(outcomes.every((o) => o.ok)).toBe(true);
		const row = await svc.db
			.selectFrom('sessions')
			.select(['rotation', 'revoked_at'])
			.where('id', '=', session.id)
			.executeTakeFirstOrThrow();
		expect(row).toEqual({ rotation: 1, revoked_at: null });
		expect(revoked).toEqual([]);
		// The family goes on from that one successor; the original is now the previous token.
		const [successor] = successors;
		const next = await rotateRefreshToken(svc, successor);
		expect(next.ok).toBe(true);
		expect((await rotateRefreshToken(svc, refreshToken)).ok).toBe(false);
	});

	it('the previous token after the grace window revokes the session, and its access tokens stop', async () => {
		const { svc, userId, revoked } = await setup({ SQUELCH_REFRESH_GRACE: '30' });
		const { session, refreshToken } = await createSession(svc, userId, PHONE);
		const next = await rotateRefreshToken(svc, refreshToken);
		expect(next.ok).toBe(true);
		const access = await accessFor(svc, userId, session.id);
		svc.clock.advance(31_000);
		expect(await rotateRefreshToken(svc, refreshToken)).toEqual({ ok: false, reason: 'reused' });
		expect(revoked).toEqual([`${session.id}:reuse`]);
		expect(await verifyAccessToken(svc, access)).toBeNull();
		// The thief's and the owner's current token alike are now dead.
		if (next.ok) expect((await rotateRefreshToken(svc, next.refreshToken)).ok).toBe(false);
	});

	it('within the grace window the previous token is accepted again, once the chain moved on it is not', async () => {
		const { svc, userId } = await setup();
		const { refreshToken: t0 } = await createSession(svc, userId, PHONE);
		const r1 = await rotateRefreshToken(svc, t0);
		svc.clock.advance(5_000);
		const replay = await rotateRefreshToken(svc, t0);
		expect(replay.ok && r1.ok && replay.refreshToken === r1.refreshToken).toBe(true);
		if (!r1.ok) return;
		const r2 = await rotateRefreshToken(svc, r1.refreshToken);
		expect(r2.ok).toBe(true);
		// t0 is now two generations old: presenting it is theft, whoever holds the chain now.
		expect(await rotateRefreshToken(svc, t0)).toEqual({ ok: false, reason: 'reused' });
		if (r2.ok) expect(await rotateRefreshToken(svc, r2.refreshToken)).toMatchObject({ ok: false });
	});

	// 900 rotations: a few seconds over PostgreSQL's round trips.
	it(
		'catches reuse of any token a family ever had, far past the last checkpoint, and logs it',
		{
			timeout: 60_000
		},
		async () => {
			for (const age of [2, 31, 32, 33, 95, 150]) {
				const { svc, userId, revoked } = await setup();
				const { session, refreshToken } = await createSession(svc, userId, PHONE);
				const chain = [refreshToken];
				for (let i = 0; i < 150; i++) {
					svc.clock.advance(60_000);
					const next = await rotateRefreshToken(svc, chain[chain.length - 1]);
					if (!next.ok) throw new Error(`rotation ${i} failed: ${next.reason}`);
					chain.push(next.refreshToken);
				}
				const old = chain[chain.length - 1 - age];
				expect(await rotateRefreshToken(svc, old), `age ${age}`).toEqual({
					ok: false,
					reason: 'reused'
				});
				expect(revoked).toEqual([`${session.id}:reuse`]);
				expect(await rotateRefreshToken(svc, chain[chain.length - 1])).toEqual({
					ok: false,
					reason: 'revoked',
					revokeReason: 'reuse'
				});
				const logged = await svc.db
					.selectFrom('events')
					.select('data')
					.where('type', '=', 'session.revoked')
					.execute();
				expect(logged.map((e) => JSON.parse(e.data).reason)).toEqual(['reuse']);
			}
		}
	);

	it('a token no family ever had is unknown and harms no session; checkpoints stay few', async () => {
		const { svc, userId, revoked } = await setup();
		const { refreshToken } = await createSession(svc, userId, PHONE);
		let token = refreshToken;
		for (let i = 0; i < 100; i++) {
			const next = await rotateRefreshToken(svc, token);
			if (!next.ok) throw new Error(next.reason);
			token = next.refreshToken;
		}
		expect(await rotateRefreshToken(svc, 'x'.repeat(43))).toEqual({ ok: false, reason: 'unknown' });
		expect(revoked).toEqual([]);
		expect((await rotateRefreshToken(svc, token)).ok).toBe(true);
		// Rotations 0, 32, 64 and 96 were remembered: one in 32.
		const rows = await svc.db.selectFrom('refresh_checkpoints').select('rotation').execute();
		expect(rows.map((r) => r.rotation).sort((a, b) => a - b)).toEqual([0, 32, 64, 96]);
	});

	it('an unused session expires after the refresh lifetime, and each refresh slides it', async () => {
		const { svc, userId } = await setup({ SQUELCH_REFRESH_TTL: '3600' });
		const { refreshToken } = await createSession(svc, userId, PHONE);
		svc.clock.advance(3000_000);
		const slid = await rotateRefreshToken(svc, refreshToken);
		expect(slid.ok).toBe(true);
		svc.clock.advance(3000_000);
		if (!slid.ok) return;
		const again = await rotateRefreshToken(svc, slid.refreshToken);
		expect(again.ok).toBe(true);
		svc.clock.advance(3601_000);
		if (again.ok)
			expect(await rotateRefreshToken(svc, again.refreshToken)).toEqual({
				ok: false,
				reason: 'expired'
			});
	});

	it('revoking a session stops its access token at once', async () => {
		const { svc, userId } = await setup();
		const { session } = await createSession(svc, userId, PHONE);
		const access = await accessFor(svc, userId, session.id);
		expect(await verifyAccessToken(svc, access)).toMatchObject({ userId, sessionId: session.id });
		expect(await revokeSession(svc, session.id, 'admin')).toBe(true);
		expect(await verifyAccessToken(svc, access)).toBeNull();
		expect(await revokeSession(svc, session.id, 'admin')).toBe(false);
	});

	it('an access token past its expiry is refused', async () => {
		const { svc, userId } = await setup({ SQUELCH_ACCESS_TTL: '60' });
		const { session } = await createSession(svc, userId, PHONE);
		const access = await accessFor(svc, userId, session.id);
		svc.clock.advance(59_000);
		expect(await verifyAccessToken(svc, access)).not.toBeNull();
		svc.clock.advance(2_000);
		expect(await verifyAccessToken(svc, access)).toBeNull();
	});

	it('records a readable device name and writes session events to the log', async () => {
		const { svc, userId } = await setup();
		const { session } = await login(svc, { username: 'ann', password: 'password-ann' }, PHONE);
		expect(session.device).toBe('Chrome on Android');
		await revokeSession(svc, session.id, 'logout');
		const events = await svc.db
			.selectFrom('events')
			.select(['type', 'data'])
			.orderBy('id')
			.execute();
		expect(events.map((e) => e.type)).toEqual([
			'user.created',
			'session.created',
			'session.revoked'
		]);
		expect(JSON.parse(events[2].data)).toMatchObject({
			sessionId: session.id,
			reason: 'logout',
			device: 'Chrome on Android'
		});
		expect(userId).toBeGreaterThan(0);
	});
});

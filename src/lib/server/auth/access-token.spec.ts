import { describe, expect, it } from 'vitest';
import { signedInViewer, testServices } from '../testing';
import { verifyAccessToken } from './access-token';
import { revokeSession } from './sessions';

const setup = () => signedInViewer({ role: 'listener', accessTtlSec: 60 });

describe('verifyAccessToken', () => {
	it('accepts a token again and again, and refuses it from its expiry second on, seen before or not', async () => {
		const { svc, token, sessionId } = await setup();
		expect(await verifyAccessToken(svc, token)).toMatchObject({ username: 'ann', sessionId });
		svc.clock.advance(59_000);
		expect(await verifyAccessToken(svc, token)).not.toBeNull();
		svc.clock.advance(1_000);
		expect(await verifyAccessToken(svc, token)).toBeNull();
		// A token never presented before it expired is refused by the signature check's own rule.
		const late = await setup();
		late.svc.clock.advance(60_000);
		expect(await verifyAccessToken(late.svc, late.token)).toBeNull();
	});

	it('stops a token it has already accepted the moment its session is revoked', async () => {
		const { svc, token, sessionId } = await setup();
		expect(await verifyAccessToken(svc, token)).not.toBeNull();
		await revokeSession(svc, sessionId, 'admin');
		expect(await verifyAccessToken(svc, token)).toBeNull();
	});

	it('refuses a tampered token, and a token signed with another key, even after accepting the genuine one', async () => {
		const { svc, token } = await setup();
		expect(await verifyAccessToken(svc, token)).not.toBeNull();
		const [header, payload, signature] = token.split('.');
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
		const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${signature}`;
		expect(await verifyAccessToken(svc, forged)).toBeNull();
		expect(await verifyAccessToken(svc, `${token.slice(0, -2)}xx`)).toBeNull();

		// Another server (another key) has never seen this token: its own check refuses it.
		const other = await testServices({ SQUELCH_ACCESS_TTL: '60' });
		expect(await verifyAccessToken(other, token)).toBeNull();
	});
});

describe('verifyAccessToken with the audio endpoint’s session view', () => {
	it('answers from memory, yet a revocation announced on the bus stops the token at once', async () => {
		const { svc, token, sessionId } = await setup();
		expect(await verifyAccessToken(svc, token, svc.sessionView)).not.toBeNull();
		await revokeSession(svc, sessionId, 'admin');
		expect(await verifyAccessToken(svc, token, svc.sessionView)).toBeNull();
	});

	it('a change no event announces is seen once the view’s bound (1 s) has passed', async () => {
		const { svc, token, sessionId } = await setup();
		expect(await verifyAccessToken(svc, token, svc.sessionView)).not.toBeNull();
		// As another instance or a hand edit would: no bus event.
		await svc.db
			.updateTable('sessions')
			.set({ revoked_at: svc.clock.now(), revoke_reason: 'admin' })
			.where('id', '=', sessionId)
			.execute();
		expect(await verifyAccessToken(svc, token, svc.sessionView)).not.toBeNull();
		svc.clock.advance(999);
		expect(await verifyAccessToken(svc, token, svc.sessionView)).not.toBeNull();
		svc.clock.advance(1);
		expect(await verifyAccessToken(svc, token, svc.sessionView)).toBeNull();
		// Without the view, the database is read on every request.
		expect(await verifyAccessToken(svc, token)).toBeNull();
	});

	it('checks the session’s and the account’s expiry against the clock on every request', async () => {
		const { svc, token, userId } = await setup();
		await svc.db
			.updateTable('users')
			.set({ expires_at: svc.clock.now() + 500 })
			.where('id', '=', userId)
			.execute();
		expect(await verifyAccessToken(svc, token, svc.sessionView)).not.toBeNull();
		svc.clock.advance(500);
		expect(await verifyAccessToken(svc, token, svc.sessionView)).toBeNull();
	});
});

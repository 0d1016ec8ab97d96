import { testServices, type TestServices } from '../testing';
import type { Role } from '../core/db/types';
import { insertUser } from './accounts';
import { signAccessToken } from './access-token';
import { createSession } from './sessions';

/**
 * A signed-in viewer for unit specs: user `ann` with this role, one session (a device) and a
 * valid access token of it, on fresh services whose access tokens live `accessTtlSec`.
 */
export async function signedInViewer(opts: {
	role: Role;
	accessTtlSec: number;
}): Promise<{ svc: TestServices; userId: number; sessionId: string; token: string }> {
	const svc = await testServices({ SQUELCH_ACCESS_TTL: String(opts.accessTtlSec) });
	const userId = await insertUser(svc, {
		username: 'ann',
		password: 'password-ann',
		role: opts.role
	});
	const { session } = await createSession(svc, userId, {
		userAgent: 'test',
		ip: '10.0.0.1',
		rememberMe: false
	});
	const { token } = await signAccessToken(svc, {
		userId,
		username: 'ann',
		role: opts.role,
		sessionId: session.id
	});
	return { svc, userId, sessionId: session.id, token };
}

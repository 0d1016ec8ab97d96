import type { RevokeReason } from '../core/db/types';

/** WebSocket close codes and reasons (CONTRACT.md "WebSocket close codes"). */
export const TOKEN_EXPIRED = { code: 4001, reason: 'token expired' } as const;
export const ACCOUNT_EXPIRED = { code: 4004, reason: 'account expired' } as const;
export const SLOW_CONSUMER = { code: 1013, reason: 'slow consumer' } as const;
/** An anonymous socket held no subscription for SQUELCH_WS_AUTH_TIMEOUT seconds. */
export const AUTH_TIMEOUT = { code: 4008, reason: 'authentication timeout' } as const;
export const SERVER_RESTART = { code: 1012, reason: 'server restarting' } as const;
export const SESSION_REVOKED_CODE = 4003;
export const sessionRevoked = (reason: RevokeReason) => ({
	code: SESSION_REVOKED_CODE,
	reason: `session revoked: ${reason}`
});

/** tRPC's server-to-client message that makes wsLink open a new socket and resubscribe. */
export const RECONNECT_NOTICE = JSON.stringify({ id: null, method: 'reconnect' });

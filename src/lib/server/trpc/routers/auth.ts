import { ServiceError } from '../../core/errors';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, publicProcedure, router } from '../init';
import type { Context } from '../context';
import { changePassword, login } from '../../auth/accounts';
import { signAccessToken } from '../../auth/access-token';
import { revokeSession, rotateRefreshToken } from '../../auth/sessions';
import { clearAuthCookies, REFRESH_COOKIE, setAuthCookies } from '../../auth/cookies';
import type { Role, Session } from '../../core/db/types';
import { passwordSchema } from '../schemas';
import { userProfile, userSummary } from '../../auth/profile';
import { sessionCap } from '../../core/settings';

export interface AuthResult {
	accessToken: string;
	/** Epoch ms. */
	accessTokenExpiresAt: number;
	user: { id: number; username: string; role: Role };
	session: { id: string };
	/** Only when the client asked for the refresh token in the body (no cookie jar). */
	refreshToken?: string;
}

async function issue(
	ctx: Context,
	user: { id: number; username: string; role: Role },
	session: Session,
	refreshToken: string,
	inBody: boolean
): Promise<AuthResult> {
	const { services } = ctx;
	const access = await signAccessToken(services, {
		userId: user.id,
		username: user.username,
		role: user.role,
		sessionId: session.id
	});
	if (ctx.http) {
		setAuthCookies(ctx.http, {
			accessToken: access.token,
			accessTtlSec: services.config.accessTtlSec,
			refreshToken,
			refreshTtlSec: services.config.refreshTtlSec,
			rememberMe: session.remember_me === 1
		});
	}
	return {
		accessToken: access.token,
		accessTokenExpiresAt: access.expiresAt,
		user: { id: user.id, username: user.username, role: user.role },
		session: { id: session.id },
		...(inBody ? { refreshToken } : {})
	};
}

const REFRESH_FAILED: Record<string, string> = {
	unknown: 'refresh token not recognised; sign in again',
	expired: 'session expired; sign in again',
	revoked: 'session was signed out; sign in again',
	reused: 'refresh token was used twice; this session was signed out for safety'
};

export const authRouter = router({
	login: publicProcedure
		.input(
			z.object({
				username: z.string().trim().min(1, 'is required').max(64),
				password: z.string().min(1, 'is required').max(128, 'must be at most 128 characters'),
				rememberMe: z.boolean().optional(),
				refreshTokenInBody: z.boolean().optional()
			})
		)
		.mutation(async ({ ctx, input }) => {
			const { user, session, refreshToken } = await login(ctx.services, input, {
				userAgent: ctx.userAgent,
				ip: ctx.ip,
				rememberMe: input.rememberMe ?? true
			});
			return issue(ctx, user, session, refreshToken, input.refreshTokenInBody ?? false);
		}),

	refresh: publicProcedure
		.input(z.object({ refreshToken: z.string().min(1).max(200).optional() }).optional())
		.mutation(async ({ ctx, input }) => {
			const fromBody = input?.refreshToken;
			const presented = fromBody ?? ctx.http?.cookies.get(REFRESH_COOKIE);
			if (!presented) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'no refresh token' });
			const outcome = await rotateRefreshToken(ctx.services, presented);
			if (!outcome.ok) {
				if (ctx.http && !fromBody) clearAuthCookies(ctx.http);
				// The client shows why it was signed out ("signed in on more than 20 devices", …).
				const revokeReason =
					outcome.reason === 'revoked'
						? outcome.revokeReason
						: outcome.reason === 'reused'
							? 'reuse'
							: outcome.reason;
				const details = {
					revokeReason,
					// The cap in force (admin setting, else SQUELCH_MAX_SESSIONS), as the device list says.
					...(revokeReason === 'cap'
						? {
								maxSessions: String(
									await sessionCap(ctx.services.db, ctx.services.config.maxSessions)
								)
							}
						: {})
				};
				throw new ServiceError('UNAUTHORIZED', REFRESH_FAILED[outcome.reason], undefined, details);
			}
			const user = await userSummary(ctx.services.db, outcome.session.user_id);
			return issue(ctx, user, outcome.session, outcome.refreshToken, fromBody !== undefined);
		}),

	logout: authedProcedure.mutation(async ({ ctx }) => {
		await revokeSession(ctx.services, ctx.viewer.sessionId, 'logout');
		if (ctx.http) clearAuthCookies(ctx.http);
		return { ok: true as const };
	}),

	me: authedProcedure.query(({ ctx }) => userProfile(ctx.services.db, ctx.viewer.userId)),

	changePassword: authedProcedure
		.input(
			z.object({
				currentPassword: z.string().min(1, 'is required').max(128),
				newPassword: passwordSchema
			})
		)
		.mutation(async ({ ctx, input }) => {
			await changePassword(ctx.services, ctx.viewer.userId, ctx.viewer.sessionId, input);
			return { ok: true as const };
		})
});

import type { RequestEvent } from '@sveltejs/kit';
import type { IncomingMessage } from 'node:http';
import { services, type Services } from '../app';
import { verifyAccessToken, type Viewer } from '../auth/access-token';
import { clientIp } from '../auth/client-ip';
import type { CookieTarget } from '../auth/cookies';

export interface Context {
	services: Services;
	viewer: Viewer | null;
	ip: string;
	userAgent: string;
	transport: 'http' | 'ws';
	/** Present on HTTP only: where login and refresh set cookies. */
	http: (CookieTarget & { event: RequestEvent }) | null;
	/** WebSocket only: this socket's id (presence keys anonymous listeners per socket). */
	connectionId?: string;
	/** WebSocket only: the socket, which direct subscriptions write their frames to. */
	socket?: FrameSink;
	/** WebSocket only: this socket's subscription slots (realtime/socket-limits.ts). */
	subscriptions?: SubscriptionSlots;
}

/** A socket's bound on open subscriptions: `take` before one starts, `release` when it ends. */
export interface SubscriptionSlots {
	readonly max: number;
	take(): boolean;
	release(): void;
}

/** What a direct subscription needs of a socket: sending a ready text frame. */
export interface FrameSink {
	send(frame: Buffer, options: { binary: false }): void;
}

export function bearerToken(header: string | null | undefined): string | null {
	const match = header?.match(/^Bearer\s+(\S+)$/i);
	return match ? match[1] : null;
}

/** HTTP: the viewer was already resolved by hooks.server.ts (bearer header). */
export async function createHttpContext(event: RequestEvent): Promise<Context> {
	const svc = await services();
	return {
		services: svc,
		viewer: event.locals.viewer,
		ip: event.locals.clientIp,
		userAgent: event.request.headers.get('user-agent') ?? '',
		transport: 'http',
		http: { cookies: event.cookies, secure: isSecure(event, svc.config.trustProxy), event }
	};
}

/**
 * WebSocket: built once per socket from connectionParams. Never throws: a missing or bad token
 * gives a context without a viewer and protected procedures answer UNAUTHORIZED (throwing here
 * makes clients reconnect in a storm).
 */
export async function createWsContext(
	req: IncomingMessage,
	connectionParams: Record<string, string | undefined> | null,
	opts: {
		services?: Services;
		connectionId?: string;
		socket?: FrameSink;
		subscriptions?: SubscriptionSlots;
	} = {}
): Promise<Context> {
	const svc = opts.services ?? (await services());
	const token = typeof connectionParams?.token === 'string' ? connectionParams.token : null;
	const viewer = await verifyAccessToken(svc, token).catch(() => null);
	const forwarded = req.headers['x-forwarded-for'];
	return {
		services: svc,
		viewer,
		ip: clientIp(
			Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
			req.socket.remoteAddress ?? '',
			svc.config.trustProxy
		),
		userAgent: req.headers['user-agent'] ?? '',
		transport: 'ws',
		http: null,
		connectionId: opts.connectionId,
		socket: opts.socket,
		subscriptions: opts.subscriptions
	};
}

/** https as the app sees it (ORIGIN), or as the trusted proxy reports it. */
function isSecure(event: RequestEvent, trustProxy: boolean): boolean {
	if (event.url.protocol === 'https:') return true;
	return (
		trustProxy && event.request.headers.get('x-forwarded-proto')?.split(',')[0].trim() === 'https'
	);
}

import type { RequestEvent } from '@sveltejs/kit';
import { randomBytes } from 'node:crypto';
import type { Config } from '../core/config';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import type { Bus } from '../core/bus';
import {
	verifyAccessToken,
	type SessionView,
	type VerifiedTokens,
	type Viewer
} from '../auth/access-token';
import type { ScopeView } from '../calls/access';
import type { HearingView } from '../live/calls-stream';
import type { AudioFiles } from '../calls/audio-files';
import type { AuthKeys } from '../auth/secrets';
import type { LoginThrottle } from '../auth/throttle';
import type { CookieTarget } from '../auth/cookies';
import type { UploadRateLimiter } from '../calls/rate-limit';
import type { Presence } from '../live/presence';
import type { LiveFeeds } from '../live/feeds';
import type { AudioPipeline } from '../calls/audio-pipeline/worker';
import type { RejectionLog } from '../calls/rejection-log';
import type { Passwords } from '../auth/passwords';
import type { IncidentStitcher } from '../share/stitch';

/**
 * The per-process objects transport hands to services, built once by the composition root
 * (app.ts); tests build their own (testing.ts).
 */
export interface Services {
	config: Config;
	db: DB;
	clock: Clock;
	bus: Bus;
	keys: AuthKeys;
	throttle: LoginThrottle;
	verifiedTokens: VerifiedTokens;
	/** Small recordings held in memory for the audio endpoint. */
	audioFiles: AudioFiles;
	/** Sessions and listeners' grants held in memory for the audio endpoint (core/bus-view.ts). */
	sessionView: SessionView;
	scopeView: ScopeView;
	/** What listeners hear, by user, for opening live streams (live/calls-stream.ts). */
	hearingView: HearingView;
	presence: Presence;
	feeds: LiveFeeds;
	uploadLimiter: UploadRateLimiter;
	rejectionLog: RejectionLog;
	/** The audio pipeline's queue (FFmpeg null: audio is stored as received). */
	pipeline: AudioPipeline;
	/** Every password hash and check of the process, through one bounded queue. */
	passwords: Passwords;
	/** Joins shared incidents into one MP3 (share/stitch.ts), a bounded number at once. */
	stitcher: IncidentStitcher;
	startedAt: number;
	/** This process among the instances sharing one database (bus echoes, presence rows). */
	instanceId: string;
	/** Hooks run on shutdown (timers, sockets), in registration order. */
	onShutdown: Array<() => Promise<void> | void>;
}

export interface Context {
	services: Services;
	viewer: Viewer | null;
	ip: string;
	userAgent: string;
	transport: 'http' | 'ws';
	/** Present on HTTP only: where login and refresh set cookies. */
	http: (CookieTarget & { event: RequestEvent }) | null;
	/** WebSocket only, anonymous sockets: this socket's id (presence counts them per socket). */
	connectionId?: string;
	/** WebSocket only: the socket, which direct subscriptions write their frames to. */
	socket?: FrameSink;
}

/** What a direct subscription needs of a socket: sending a ready text frame. */
export interface FrameSink {
	send(frame: Buffer, options: { binary: false }): void;
}

export function bearerToken(header: string | null | undefined): string | null {
	const match = header?.match(/^Bearer\s+(\S+)$/i);
	return match ? match[1] : null;
}

/** HTTP: the services and the viewer were already resolved by hooks.server.ts (bearer header). */
export async function createHttpContext(event: RequestEvent): Promise<Context> {
	const svc = event.locals.services;
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
export function createWsContext(
	svc: Services,
	peer: { ip: string; userAgent: string },
	connectionParams: Record<string, string | undefined> | null,
	opts: { connectionId?: string; socket?: FrameSink } = {}
): Promise<Context> {
	const token = typeof connectionParams?.token === 'string' ? connectionParams.token : null;
	const context = (viewer: Viewer | null): Context => ({
		services: svc,
		viewer,
		ip: peer.ip,
		userAgent: peer.userAgent,
		transport: 'ws',
		http: null,
		// Only anonymous listeners are counted per socket (presence); flat hex, made only for them.
		connectionId: viewer ? undefined : (opts.connectionId ?? randomBytes(16).toString('hex')),
		socket: opts.socket
	});
	// The session row from the bus-kept view, as the audio endpoint reads it (core/bus-view.ts):
	// the sockets of one session (tabs, reconnects) cost one read per second, not one each.
	// A revocation still closes them at once (realtime/connections.ts).
	return verifyAccessToken(svc, token, svc.sessionView).then(context, () => context(null));
}

/** https as the app sees it (ORIGIN), or as the trusted proxy reports it. */
function isSecure(event: RequestEvent, trustProxy: boolean): boolean {
	if (event.url.protocol === 'https:') return true;
	return (
		trustProxy && event.request.headers.get('x-forwarded-proto')?.split(',')[0].trim() === 'https'
	);
}

import webpush from 'web-push';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { serializeOn } from '../core/db/dialect';
import { ServiceError } from '../core/errors';
import { checkEndpoint } from './push-endpoint';

export interface VapidKeys {
	/** base64url, uncompressed P-256 point: what the browser's applicationServerKey takes. */
	publicKey: string;
	privateKey: string;
}

/** Devices one session and one user may register. */
export const MAX_SUBSCRIPTIONS_PER_SESSION = 4;
export const MAX_SUBSCRIPTIONS_PER_USER = 40;

/**
 * The VAPID key pair, generated once and kept in the secrets table like the JWT key, so every
 * device's subscription stays valid across restarts. Insert-or-ignore then read back: two
 * processes starting together agree.
 */
export async function loadVapidKeys(db: DB, clock: Clock): Promise<VapidKeys> {
	await db
		.insertInto('secrets')
		.values({
			name: 'vapid_keys',
			value: JSON.stringify(webpush.generateVAPIDKeys()),
			created_at: clock.now()
		})
		.onConflict((oc) => oc.column('name').doNothing())
		.execute();
	const row = await db
		.selectFrom('secrets')
		.select('value')
		.where('name', '=', 'vapid_keys')
		.executeTakeFirstOrThrow();
	return JSON.parse(row.value) as VapidKeys;
}

const b64url = /^[A-Za-z0-9_-]+={0,2}$/;
function keyBytes(field: string, value: string, length: number): void {
	if (!b64url.test(value) || Buffer.from(value, 'base64url').length !== length)
		throw new ServiceError('BAD_REQUEST', `${field}: expected ${length} bytes, base64url`);
}

export interface SubscribeInput {
	endpoint: string;
	keys: { p256dh: string; auth: string };
}

export interface PushDeps {
	db: DB;
	clock: Clock;
	config: { pushAllowPrivate: boolean };
}

/**
 * Binds a browser push subscription to the calling session (device). The same endpoint moves
 * to this session if it was another's (the browser profile signed in again).
 */
export async function subscribePush(
	deps: PushDeps,
	owner: { userId: number; sessionId: string },
	input: SubscribeInput,
	resolve?: (host: string) => Promise<string[]>
): Promise<void> {
	await checkEndpoint(input.endpoint, { allowPrivate: deps.config.pushAllowPrivate, resolve });
	keyBytes('keys.p256dh', input.keys.p256dh, 65);
	if (Buffer.from(input.keys.p256dh, 'base64url')[0] !== 4)
		throw new ServiceError('BAD_REQUEST', 'keys.p256dh: expected an uncompressed P-256 point');
	keyBytes('keys.auth', input.keys.auth, 16);
	await deps.db.transaction().execute(async (trx) => {
		// Count-then-insert: on PostgreSQL two subscribes at once would both pass the count.
		await serializeOn(trx, `push_subscriptions.user:${owner.userId}`);
		await trx.deleteFrom('push_subscriptions').where('endpoint', '=', input.endpoint).execute();
		const counts = await trx
			.selectFrom('push_subscriptions')
			.select((eb) => [
				eb.fn.countAll<number>().as('user'),
				eb.fn
					.sum<number>(eb.case().when('session_id', '=', owner.sessionId).then(1).else(0).end())
					.as('session')
			])
			.where('user_id', '=', owner.userId)
			.executeTakeFirstOrThrow();
		if (Number(counts.session ?? 0) >= MAX_SUBSCRIPTIONS_PER_SESSION)
			throw new ServiceError(
				'BAD_REQUEST',
				`endpoint: at most ${MAX_SUBSCRIPTIONS_PER_SESSION} per device`
			);
		if (Number(counts.user) >= MAX_SUBSCRIPTIONS_PER_USER)
			throw new ServiceError(
				'BAD_REQUEST',
				`endpoint: at most ${MAX_SUBSCRIPTIONS_PER_USER} per user`
			);
		await trx
			.insertInto('push_subscriptions')
			.values({
				session_id: owner.sessionId,
				user_id: owner.userId,
				endpoint: input.endpoint,
				p256dh: input.keys.p256dh,
				auth: input.keys.auth,
				created_at: deps.clock.now()
			})
			.execute();
	});
}

/** Removes the caller's own subscription; another user's endpoint is left alone. */
export async function unsubscribePush(db: DB, userId: number, endpoint: string): Promise<boolean> {
	const res = await db
		.deleteFrom('push_subscriptions')
		.where('endpoint', '=', endpoint)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return Number(res.numDeletedRows) > 0;
}

/** A revoked or evicted session's devices get no more pushes (subscribed to session.revoked). */
export async function dropSessionPush(db: DB, sessionId: string): Promise<void> {
	await db.deleteFrom('push_subscriptions').where('session_id', '=', sessionId).execute();
}

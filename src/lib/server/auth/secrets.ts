import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';

/**
 * Server secrets are generated once and persisted in the database, so a restart signs no one out.
 * `insert … on conflict do nothing` then read back makes two processes starting together agree.
 */
export async function loadSecret(db: DB, clock: Clock, name: string): Promise<Buffer> {
	await db
		.insertInto('secrets')
		.values({ name, value: randomBytes(32).toString('base64'), created_at: clock.now() })
		.onConflict((oc) => oc.column('name').doNothing())
		.execute();
	const row = await db
		.selectFrom('secrets')
		.select('value')
		.where('name', '=', name)
		.executeTakeFirstOrThrow();
	return Buffer.from(row.value, 'base64');
}

export interface AuthKeys {
	/** HS256 key for access tokens. */
	jwt: Uint8Array;
	/** HMAC key that derives each refresh token's successor from it. */
	refresh: Buffer;
}

export async function loadAuthKeys(db: DB, clock: Clock): Promise<AuthKeys> {
	return {
		jwt: new Uint8Array(await loadSecret(db, clock, 'access_token_hs256')),
		refresh: await loadSecret(db, clock, 'refresh_token_hmac')
	};
}

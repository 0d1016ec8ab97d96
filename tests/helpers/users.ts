import type { DB } from '../../src/lib/server/core/db';
import type { Role } from '../../src/lib/server/core/db/types';

/**
 * Test data: a bare `users` row and its id, for specs and benches that need a user to own rules,
 * selections or grants but never sign in (no password hashing). Hears everything unless
 * `access_all: 0`.
 */
export async function insertUserRow(
	db: DB,
	username: string,
	over: { role?: Role; access_all?: number; disabled?: number; expires_at?: number | null } = {}
): Promise<number> {
	const row = await db
		.insertInto('users')
		.values({
			username,
			password_hash: 'x',
			role: 'listener',
			created_at: 0,
			updated_at: 0,
			access_all: 1,
			...over
		})
		.returning('id')
		.executeTakeFirstOrThrow();
	return row.id;
}

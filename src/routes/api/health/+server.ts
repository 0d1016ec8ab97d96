import { json } from '@sveltejs/kit';
import { sql } from 'kysely';
import { services } from '$lib/server/app';

export async function GET() {
	const svc = await services();
	await sql`select 1`.execute(svc.db);
	return json(
		{
			status: 'ok',
			uptimeSec: Math.round((svc.clock.now() - svc.startedAt) / 1000),
			version: '0.1.0'
		},
		{ headers: { 'cache-control': 'no-store' } }
	);
}

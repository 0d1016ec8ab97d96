import { json } from '@sveltejs/kit';
import { sql } from 'kysely';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ locals }) => {
	const svc = locals.services;
	await sql`select 1`.execute(svc.db);
	return json(
		{
			status: 'ok',
			uptimeSec: Math.round((svc.clock.now() - svc.startedAt) / 1000),
			version: '0.1.0'
		},
		{ headers: { 'cache-control': 'no-store' } }
	);
};

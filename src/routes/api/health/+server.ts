import { json } from '@sveltejs/kit';
import { databaseHealth } from '$lib/server/core/db/health';
import type { RequestHandler } from './$types';

/** 200 while the database answers, else 503 (docs/api.md): what a load balancer probes. */
export const GET: RequestHandler = async ({ locals }) => {
	const svc = locals.services;
	const database = await databaseHealth(svc.db);
	return json(
		{
			status: database.ok ? 'ok' : 'unavailable',
			uptimeSec: Math.round((svc.clock.now() - svc.startedAt) / 1000),
			version: '0.1.0',
			database
		},
		{ status: database.ok ? 200 : 503, headers: { 'cache-control': 'no-store' } }
	);
};

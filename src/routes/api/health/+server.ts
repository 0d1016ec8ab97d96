import { json } from '@sveltejs/kit';
import { databaseHealth } from '$lib/server/core/db/health';
import type { RequestHandler } from './$types';

/**
 * 200 while the database answers and the bus is listening, else 503 (docs/api.md): what a load
 * balancer probes. An instance whose bus is reconnecting would miss other instances' calls and
 * revocations, so it is taken out too.
 */
export const GET: RequestHandler = async ({ locals }) => {
	const svc = locals.services;
	const database = await databaseHealth(svc.db);
	const bus = svc.bus.health();
	const ok = database.ok && bus.state === 'listening';
	return json(
		{
			status: ok ? 'ok' : 'unavailable',
			uptimeSec: Math.round((svc.clock.now() - svc.startedAt) / 1000),
			version: '0.1.0',
			database,
			bus
		},
		{ status: ok ? 200 : 503, headers: { 'cache-control': 'no-store' } }
	);
};

import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { services } from '$lib/server/app';
import { openShare } from '$lib/server/share/public';
import { shareMessage } from '$lib/share-text';

export const load: PageServerLoad = async ({ params, url, setHeaders }) => {
	const svc = await services();
	const outcome = await openShare(svc, params.token, { countView: true });
	// Never cached by a shared cache: a revoke or an expiry applies at the next request.
	setHeaders({ 'cache-control': 'private, no-store', 'x-robots-tag': 'noindex' });
	if (outcome.status !== 200) error(outcome.status, shareMessage(outcome.reason));
	// Set ORIGIN behind a proxy: without it adapter-node assumes https on the Host header.
	return { share: outcome.view, origin: svc.config.origin ?? url.origin };
};

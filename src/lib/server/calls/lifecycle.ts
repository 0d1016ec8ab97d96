import type { Services } from '../app';
import { sweepIncoming } from './storage';
import { startRetention } from './retention';
import { startFolderIngest } from './folder-ingest';

/**
 * Start-up work for calls: finish or discard uploads a crash interrupted, then start the hourly
 * retention prune (stopped on shutdown).
 */
export async function startCalls(svc: Services): Promise<void> {
	const swept = await sweepIncoming(svc.db, svc.config.dataDir);
	if (swept.completed || swept.removed) {
		console.log(
			`Squelch: recovered ${swept.completed} and discarded ${swept.removed} interrupted upload(s)`
		);
	}
	svc.onShutdown.push(startRetention(svc));
	svc.onShutdown.push(startFolderIngest(svc));
}

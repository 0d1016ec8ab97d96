import { sweepIncoming } from './storage';
import { startRetention, type RetentionDeps } from './retention';

/**
 * Start-up work for calls: finish or discard uploads a crash interrupted, then start the hourly
 * retention prune. Returns the function that stops it.
 */
export async function startCalls(deps: RetentionDeps): Promise<() => void> {
	const swept = await sweepIncoming(deps.db, deps.config.dataDir);
	if (swept.completed || swept.removed) {
		console.log(
			`Squelch: recovered ${swept.completed} and discarded ${swept.removed} interrupted upload(s)`
		);
	}
	return startRetention(deps);
}

/**
 * Delay before reconnect attempt `attempt` (0 = the first retry): exponential from 1 s, capped
 * at 30 s, with full jitter so that a server restart is not met by every tab at the same
 * instant. The first retry comes quickly (up to 250 ms): most closes are a token expiry or a
 * deploy, where the server is ready at once.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
	if (attempt <= 0) return Math.floor(random() * 250);
	const ceiling = Math.min(30_000, 1_000 * 2 ** attempt);
	return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** The q-quantile (0..1) of an ascending array, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
	if (sorted.length === 0) return NaN;
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
	return sorted[rank];
}

export function summarize(values: number[]): { n: number; p50: number; p99: number; max: number } {
	const sorted = Float64Array.from(values).sort();
	return {
		n: sorted.length,
		p50: quantile(sorted, 0.5),
		p99: quantile(sorted, 0.99),
		max: sorted.length ? sorted[sorted.length - 1] : NaN
	};
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * Geometry for the dashboard's 24-hour activity chart: stacked bars (calls per hour, one colour
 * per system), a y axis with round ticks and x labels every few hours. Pure, so it is tested
 * without a browser; the Svelte component only draws what this returns.
 */
export interface ActivityInput {
	hours: Date[];
	systems: Array<{ id: number; label: string; systemRef: number; counts: number[] }>;
}

export interface ChartBar {
	hour: number;
	systemId: number;
	x: number;
	y: number;
	width: number;
	height: number;
	count: number;
}

export interface ChartLayout {
	width: number;
	height: number;
	plot: { left: number; top: number; right: number; bottom: number };
	max: number;
	yTicks: Array<{ value: number; y: number }>;
	xLabels: Array<{ hour: number; x: number; text: string }>;
	bars: ChartBar[];
	totals: number[];
}

/** 1, 2, 5, 10, 20, 50 … the smallest "nice" step giving at most `count` intervals up to `max`. */
export function niceStep(max: number, count: number): number {
	if (max <= 0) return 1;
	const raw = max / count;
	const magnitude = 10 ** Math.floor(Math.log10(raw));
	for (const m of [1, 2, 5, 10]) {
		if (m * magnitude >= raw) return Math.max(1, m * magnitude);
	}
	return Math.max(1, 10 * magnitude);
}

export function layoutActivity(
	input: ActivityInput,
	size: { width: number; height: number },
	formatHour: (d: Date) => string
): ChartLayout {
	const { width, height } = size;
	// Room on the right for half of the last hour's label.
	const plot = { left: 40, top: 12, right: width - 18, bottom: height - 28 };
	const n = input.hours.length;
	const totals = input.hours.map((_, i) =>
		input.systems.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0)
	);
	const peak = Math.max(0, ...totals);
	const step = niceStep(peak, 4);
	const max = Math.max(step, Math.ceil(peak / step) * step);
	const plotHeight = plot.bottom - plot.top;
	const slot = (plot.right - plot.left) / Math.max(1, n);
	const barWidth = Math.max(2, slot * 0.72);
	const scale = (v: number) => (v / max) * plotHeight;

	const yTicks = [];
	for (let v = 0; v <= max; v += step) yTicks.push({ value: v, y: plot.bottom - scale(v) });

	// Fewer labels when the chart is narrow, so they never overlap.
	const every = slot * 3 >= 44 ? 3 : slot * 6 >= 44 ? 6 : 12;
	const xLabels = input.hours
		.map((d, i) => ({ hour: i, x: plot.left + slot * i + slot / 2, text: formatHour(d) }))
		.filter((l) => (n - 1 - l.hour) % every === 0);

	const bars: ChartBar[] = [];
	input.hours.forEach((_, i) => {
		let base = plot.bottom;
		for (const system of input.systems) {
			const count = system.counts[i] ?? 0;
			if (count <= 0) continue;
			const h = scale(count);
			base -= h;
			bars.push({
				hour: i,
				systemId: system.id,
				x: plot.left + slot * i + (slot - barWidth) / 2,
				y: base,
				width: barWidth,
				height: h,
				count
			});
		}
	});
	return { width, height, plot, max, yTicks, xLabels, bars, totals };
}

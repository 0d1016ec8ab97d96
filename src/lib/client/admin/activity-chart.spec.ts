import { describe, expect, it } from 'vitest';
import { layoutActivity, niceStep } from './activity-chart';

const hours = Array.from({ length: 24 }, (_, i) => new Date(Date.UTC(2026, 0, 1, i)));
const label = (d: Date) => String(d.getUTCHours());

describe('activity chart layout', () => {
	it('picks round steps', () => {
		expect(niceStep(0, 4)).toBe(1);
		expect(niceStep(3, 4)).toBe(1);
		expect(niceStep(10, 4)).toBe(5);
		expect(niceStep(37, 4)).toBe(10);
		expect(niceStep(1200, 4)).toBe(500);
	});

	it('stacks systems per hour, bottom up, scaled to the y axis', () => {
		const layout = layoutActivity(
			{
				hours,
				systems: [
					{ id: 1, label: 'A', systemRef: 10, counts: hours.map((_, i) => (i === 23 ? 6 : 0)) },
					{
						id: 2,
						label: 'B',
						systemRef: 20,
						counts: hours.map((_, i) => (i === 23 ? 2 : i === 0 ? 1 : 0))
					}
				]
			},
			{ width: 640, height: 240 },
			label
		);
		expect(layout.totals[23]).toBe(8);
		expect(layout.max).toBe(8);
		expect(layout.yTicks.map((t) => t.value)).toEqual([0, 2, 4, 6, 8]);
		const last = layout.bars.filter((b) => b.hour === 23);
		expect(last.map((b) => b.systemId)).toEqual([1, 2]);
		const plotHeight = layout.plot.bottom - layout.plot.top;
		expect(last[0].height).toBeCloseTo(plotHeight * 0.75);
		expect(last[0].y + last[0].height).toBeCloseTo(layout.plot.bottom);
		// The second system sits on top of the first.
		expect(last[1].y + last[1].height).toBeCloseTo(last[0].y);
		// Empty hours draw nothing.
		expect(layout.bars.filter((b) => b.hour === 5)).toEqual([]);
		expect(layout.bars).toHaveLength(3);
	});

	it('labels the current hour and thins labels on narrow charts', () => {
		const wide = layoutActivity({ hours, systems: [] }, { width: 1000, height: 200 }, label);
		const narrow = layoutActivity({ hours, systems: [] }, { width: 320, height: 200 }, label);
		expect(wide.xLabels.at(-1)?.text).toBe('23');
		expect(narrow.xLabels.at(-1)?.text).toBe('23');
		expect(narrow.xLabels.length).toBeLessThan(wide.xLabels.length);
		for (const labels of [wide.xLabels, narrow.xLabels]) {
			const gaps = labels.slice(1).map((l, i) => l.x - labels[i].x);
			expect(Math.min(...gaps)).toBeGreaterThanOrEqual(44);
		}
		expect(wide.max).toBe(1);
		expect(wide.bars).toEqual([]);
	});
});

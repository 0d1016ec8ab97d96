import { describe, expect, it } from 'vitest';
import { parseRange } from './range';

describe('parseRange', () => {
	it('reads closed, open and suffix ranges', () => {
		expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
		expect(parseRange('bytes=500-', 1000)).toEqual({ start: 500, end: 999 });
		expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
		expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
	});

	it('reports unsatisfiable ranges', () => {
		expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=0-10', 0)).toBe('unsatisfiable');
	});

	it('ignores what it does not serve', () => {
		expect(parseRange(null, 1000)).toBeNull();
		expect(parseRange('items=0-1', 1000)).toBeNull();
		expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
		expect(parseRange('bytes=9-3', 1000)).toBeNull();
		expect(parseRange('bytes=-', 1000)).toBeNull();
	});
});

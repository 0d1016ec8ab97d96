import { describe, expect, it } from 'vitest';
import { alignSegments } from './align';

// Shapes as Trunk-Recorder sends them (RECORDERS.md `sources`, the sidecar's `srcList`).
const threeUnits = [
	{ pos: 0.0, src: 1234567, tag: 'Engine 5' },
	{ pos: 2.16, src: 7654321 },
	{ pos: 4.9, src: 1234567, tag: 'Engine 5' }
];

const segments = [
	{ start: 0.0, end: 1.1, text: ' Dispatch, Engine 5' },
	{ start: 1.1, end: 2.0, text: ' on scene.' },
	{ start: 2.3, end: 4.6, text: ' Copy Engine 5, on scene at 14:32.' },
	{ start: 5.0, end: 6.2, text: ' Requesting a second alarm.' }
];

describe('who said what', () => {
	it('gives each segment to the unit holding the air, joining neighbours of one unit', () => {
		const lines = alignSegments(segments, threeUnits, new Map([[7654321, 'Dispatch']]));
		expect(lines).toEqual([
			{
				start: 0,
				end: 2.0,
				text: 'Dispatch, Engine 5 on scene.',
				unit: 1234567,
				alias: 'Engine 5'
			},
			{
				start: 2.3,
				end: 4.6,
				text: 'Copy Engine 5, on scene at 14:32.',
				unit: 7654321,
				alias: 'Dispatch'
			},
			{ start: 5.0, end: 6.2, text: 'Requesting a second alarm.', unit: 1234567, alias: 'Engine 5' }
		]);
	});

	it('decides a segment that straddles a change by the larger overlap', () => {
		const lines = alignSegments(
			[{ start: 1.5, end: 4.0, text: 'mostly the second unit' }],
			threeUnits
		);
		expect(lines).toEqual([
			{ start: 1.5, end: 4.0, text: 'mostly the second unit', unit: 7654321, alias: null }
		]);
	});

	it('makes one block without positions', () => {
		expect(alignSegments(segments, [])).toEqual([
			{
				start: 0,
				end: 6.2,
				text: 'Dispatch, Engine 5 on scene. Copy Engine 5, on scene at 14:32. Requesting a second alarm.',
				unit: null,
				alias: null
			}
		]);
	});

	it('gives everything to a single unit, with a recorder that sent one source', () => {
		const lines = alignSegments(segments, [{ pos: 0, src: 42 }], new Map([[42, 'Medic 3']]));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({ unit: 42, alias: 'Medic 3', start: 0, end: 6.2 });
	});

	it('sorts unordered positions, ignores broken entries, and gives speech before the first position to the first unit', () => {
		const lines = alignSegments(
			[
				{ start: 0.0, end: 0.8, text: 'early' },
				{ start: 3.0, end: 3.5, text: 'late' }
			],
			[
				{ pos: 2.5, src: 2 },
				{ pos: Number.NaN, src: 9 },
				{ pos: 0.5, src: 1 },
				{ pos: -1, src: 8 }
			]
		);
		expect(lines.map((l) => [l.unit, l.text])).toEqual([
			[1, 'early'],
			[2, 'late']
		]);
	});

	it('drops empty segments and returns nothing for silence', () => {
		expect(alignSegments([{ start: 0, end: 1, text: '  ' }], threeUnits)).toEqual([]);
	});

	it('stays linear on a long call with many units', () => {
		const many = Array.from({ length: 500 }, (_, i) => ({ pos: i * 2, src: 1000 + i }));
		const segs = Array.from({ length: 5000 }, (_, i) => ({
			start: i * 0.2,
			end: i * 0.2 + 0.2,
			text: `w${i}`
		}));
		const lines = alignSegments(segs, many);
		expect(lines).toHaveLength(500);
		expect(lines[499].unit).toBe(1499);
	});
});

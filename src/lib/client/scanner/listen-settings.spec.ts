import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings } from './listen-settings';

describe('parseSettings', () => {
	it('keeps valid values', () => {
		const s = {
			maxAgeMinutes: 15,
			speed: 1.75,
			autoSpeed: true,
			autoSpeedAbove: 8,
			autoSpeedRate: 2,
			volume: 0.3,
			carMode: true
		};
		expect(parseSettings(s)).toEqual(s);
	});

	it('falls back field by field for values out of range or of the wrong type', () => {
		expect(
			parseSettings({
				maxAgeMinutes: 7,
				speed: 3,
				autoSpeed: 'yes',
				autoSpeedAbove: 2.5,
				autoSpeedRate: 0.5,
				volume: -1,
				carMode: 1
			})
		).toEqual(DEFAULT_SETTINGS);
		expect(parseSettings({ speed: Number.NaN, maxAgeMinutes: 2 })).toEqual({
			...DEFAULT_SETTINGS,
			maxAgeMinutes: 2
		});
	});

	it('gives the defaults for anything that is not an object', () => {
		for (const raw of [null, undefined, 42, 'x', []])
			expect(parseSettings(raw)).toEqual(DEFAULT_SETTINGS);
	});
});

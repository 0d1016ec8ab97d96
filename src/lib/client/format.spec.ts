import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, fromLocalInput, plural, toLocalInput } from './format';

describe('format', () => {
	it('writes byte counts in binary units', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(1023)).toBe('1 KiB');
		expect(formatBytes(1005 * 1024)).toBe('1 MiB');
		expect(formatBytes(1536)).toBe('1.5 KiB');
		expect(formatBytes(52_428_800)).toBe('50 MiB');
		expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB');
	});

	it('writes durations with the two largest parts', () => {
		expect(formatDuration(42)).toBe('42 s');
		expect(formatDuration(60)).toBe('1 min');
		expect(formatDuration(3_660)).toBe('1 h 1 min');
		expect(formatDuration(86_400 + 7_200 + 180)).toBe('1 d 2 h');
		expect(formatDuration(86_400 + 180)).toBe('1 d');
	});

	it('round-trips datetime-local values and refuses garbage', () => {
		const d = new Date(2026, 10, 28, 9, 5);
		expect(toLocalInput(d)).toBe('2026-11-28T09:05');
		expect(fromLocalInput(toLocalInput(d))?.getTime()).toBe(d.getTime());
		expect(fromLocalInput('')).toBeNull();
		expect(fromLocalInput('not a date')).toBeNull();
		expect(toLocalInput(null)).toBe('');
	});

	it('pluralises', () => {
		expect(plural(1, 'call')).toBe('1 call');
		expect(plural(3, 'call')).toBe('3 calls');
	});
});

import { describe, expect, it } from 'vitest';
import { allowedExpiries, shareInput } from './share';

describe('share dialog choices', () => {
	it('offers only expiries within the admin cap', () => {
		expect(allowedExpiries(null).map((c) => c.label)).toEqual([
			'1 hour',
			'1 day',
			'7 days',
			'Never'
		]);
		expect(allowedExpiries(86_400).map((c) => c.label)).toEqual(['1 hour', '1 day']);
		expect(allowedExpiries(600)).toEqual([]);
	});

	it('shares one call, or its talkgroup around it', () => {
		const call = { id: 7, dateTime: new Date(3_600_000), system: { id: 1 }, talkgroup: { id: 10 } };
		expect(shareInput(call, 0, 3600)).toEqual({ callId: 7, expiresIn: 3600 });
		expect(shareInput(call, 15, null)).toEqual({
			systems: [1],
			talkgroups: [10],
			from: new Date(3_600_000 - 900_000),
			to: new Date(3_600_000 + 900_000),
			expiresIn: null
		});
	});
});

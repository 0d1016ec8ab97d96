import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { errorFields, errorText, messageFor } from './errors';

function serverError(message: string, data: Record<string, unknown> = {}) {
	return TRPCClientError.from({
		error: { message, code: -32600, data: { code: 'BAD_REQUEST', ...data } }
	});
}

describe('admin error texts', () => {
	it('names the field with the label on the page, and drops the row id', () => {
		expect(
			errorText(serverError('retentionDays: Too big: expected number to be <=36500'), {
				retentionDays: 'Keep calls for (days)'
			})
		).toBe('Keep calls for (days): Too big: expected number to be <=36500');
		expect(
			errorText(serverError('id: admin is the last active admin and cannot be disabled'))
		).toBe('Admin is the last active admin and cannot be disabled');
		// Fields without a label keep their own name.
		expect(errorText(serverError('csv: line 3: Decimal is not a whole number'))).toBe(
			'csv: line 3: Decimal is not a whole number'
		);
	});

	it('says when the server could not be reached', () => {
		expect(errorText(new TypeError('Failed to fetch'))).toMatch(/could not be reached/);
	});

	it('finds the fields an error names', () => {
		expect(errorFields(serverError('a: x; b: y', { fields: ['a', 'b'] }))).toEqual(['a', 'b']);
		expect(errorFields(serverError('username: "bob" is taken'))).toEqual(['username']);
		expect(errorFields(serverError('something broke'))).toEqual([]);
		expect(errorFields(new Error('x'))).toEqual([]);
	});

	it('picks one field message out of several', () => {
		const err = serverError('duplicateWindowMs: Too big; retentionDays: Too small');
		expect(messageFor(err, 'retentionDays')).toBe('Too small');
		expect(messageFor(err, 'maxSessions')).toBeNull();
	});
});

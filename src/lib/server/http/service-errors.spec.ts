import { describe, expect, it } from 'vitest';
import { ServiceError } from '../core/errors';
import { serviceErrorReply } from './service-errors';

describe('serviceErrorReply', () => {
	it('maps each refusal to its status, with Retry-After when the service gave one', () => {
		expect(serviceErrorReply(new ServiceError('NOT_FOUND', 'no such call'))).toMatchObject({
			status: 404,
			body: 'no such call'
		});
		const throttled = serviceErrorReply(new ServiceError('TOO_MANY_REQUESTS', 'slow down', 7));
		expect(throttled).toMatchObject({ status: 429, headers: { 'retry-after': '7' } });
		expect(serviceErrorReply(new ServiceError('CONFLICT', 'taken'))?.status).toBe(409);
	});

	it('leaves any other error alone (it is a 500, not a refusal)', () => {
		expect(serviceErrorReply(new Error('disk full'))).toBeNull();
		expect(serviceErrorReply('boom')).toBeNull();
	});
});

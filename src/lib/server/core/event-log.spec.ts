import { expect, it } from 'vitest';
import { testServices } from '../testing';
import { EVENT_LOG_DAYS, pruneEventLog, recordEvent } from './event-log';

it('prunes admin events older than the event log keeps, and only those', async () => {
	const svc = await testServices();
	await recordEvent(svc, 'user.created', { userId: null, username: 'old' });
	svc.clock.advance(EVENT_LOG_DAYS * 86_400_000 + 1000);
	await recordEvent(svc, 'user.created', { userId: null, username: 'new' });
	expect(await pruneEventLog(svc)).toBe(1);
	const left = await svc.db.selectFrom('events').select('data').execute();
	expect(left.map((e) => JSON.parse(e.data).username)).toEqual(['new']);
});

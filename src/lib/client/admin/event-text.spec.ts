import { describe, expect, it } from 'vitest';
import { describeEvent, eventTypeLabel } from './event-text';

describe('event texts', () => {
	it('says why a session ended', () => {
		expect(describeEvent({ type: 'session.revoked', reason: 'admin' })).toBe(
			'Reason: admin — by an admin'
		);
		expect(describeEvent({ type: 'session.revoked', reason: 'cap' })).toBe(
			'Reason: cap — too many devices'
		);
		expect(
			describeEvent({ type: 'session.revoked', reason: 'admin', device: 'Safari on iPhone' })
		).toBe('Safari on iPhone · Reason: admin — by an admin');
	});

	it('says which call the audio pipeline kept as received, and why', () => {
		expect(describeEvent({ type: 'audio.failed', callId: 7, reason: 'Invalid data found' })).toBe(
			'call 7 · Reason: Invalid data found'
		);
		expect(eventTypeLabel('audio.failed')).toBe('Audio kept as received');
	});

	it('shows the device of a sign-in and the changes of a user', () => {
		expect(
			describeEvent({ type: 'session.created', device: 'Chrome on Android', ip: '10.0.0.2' })
		).toBe('Chrome on Android · IP 10.0.0.2');
		expect(
			describeEvent({ type: 'user.updated', username: 'ann', changes: ['role', 'access'] })
		).toBe('ann · changed: role, access');
		expect(describeEvent({ type: 'user.updated', change: 'password' })).toBe('changed: password');
	});

	it('shows the reason and the key of a refused upload, and the call of an accepted one', () => {
		expect(
			describeEvent({
				type: 'upload.rejected',
				status: 401,
				reason: 'Invalid API key for system 1 talkgroup 2.',
				system: 1,
				talkgroup: 2,
				keyName: null,
				ip: '10.0.0.9'
			})
		).toBe(
			'system 1 · talkgroup 2 · Reason: 401 Invalid API key for system 1 talkgroup 2. · IP 10.0.0.9'
		);
		expect(
			describeEvent({
				type: 'upload.rejected',
				status: 401,
				reason: 'Invalid API key for system 0 talkgroup 0.',
				keyName: null,
				ip: '10.0.0.9',
				count: 419,
				since: 1_718_000_000_000
			})
		).toBe(
			'Reason: 401 Invalid API key for system 0 talkgroup 0. · IP 10.0.0.9 · 419 more in that minute'
		);
		expect(
			describeEvent({
				type: 'call.ingested',
				callId: 7,
				system: 1,
				talkgroup: 101,
				keyName: 'tower'
			})
		).toBe('call 7 · system 1 · talkgroup 101 · key tower');
	});

	it('says what became of an undelivered push', () => {
		expect(eventTypeLabel('alert.push_failed')).toBe('Push not delivered');
		expect(describeEvent({ type: 'alert.push_failed', status: 410, removed: true })).toBe(
			'push service answered 410 · device removed'
		);
		expect(describeEvent({ type: 'alert.push_failed', status: 429, retrying: true })).toBe(
			'push service answered 429 · retrying'
		);
		expect(describeEvent({ type: 'alert.push_failed', status: null, gaveUp: true })).toBe(
			'push service unreachable · gave up'
		);
	});

	it('never shows an empty cell, and names unknown types as they are', () => {
		expect(describeEvent({ type: 'something.new' })).toBe('—');
		expect(eventTypeLabel('something.new')).toBe('something.new');
		expect(eventTypeLabel('upload.rejected')).toBe('Upload refused');
	});
});

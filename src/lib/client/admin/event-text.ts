/** Event types of the admin feed (docs/api.md, Admin events), in the order the filter lists them. */
export const EVENT_TYPES = [
	'session.created',
	'session.revoked',
	'user.created',
	'user.updated',
	'call.ingested',
	'upload.rejected',
	'listeners.changed',
	'audio.failed',
	'share.created',
	'share.viewed',
	'share.revoked',
	'forward.failed',
	'forward.recovered',
	'forward.gaveup',
	'alert.push_failed'
];

const LABELS: Record<string, string> = {
	'session.created': 'Signed in',
	'session.revoked': 'Signed out',
	'user.created': 'User created',
	'user.updated': 'User changed',
	'call.ingested': 'Call received',
	'upload.rejected': 'Upload refused',
	'listeners.changed': 'Listeners',
	'audio.failed': 'Audio kept as received',
	'share.created': 'Share link made',
	'share.viewed': 'Share link opened',
	'share.revoked': 'Share link revoked',
	'forward.failed': 'Forwarding failing',
	'forward.recovered': 'Forwarding back',
	'forward.gaveup': 'Forwarding gave up',
	'alert.push_failed': 'Push not delivered'
};

export const eventTypeLabel = (type: string) => LABELS[type] ?? type;

const REVOKE_REASONS: Record<string, string> = {
	logout: 'signed out (by the user)',
	cap: 'too many devices',
	admin: 'by an admin',
	password: 'password changed',
	reuse: 'refresh token reused',
	disabled: 'account disabled or deleted',
	expired: 'expired'
};

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** One line about an event: the reason, device, key and other details it carries. */
export function describeEvent(e: { type: string; [key: string]: unknown }): string {
	const parts: string[] = [];
	switch (e.type) {
		case 'session.created':
			if (e.device) parts.push(str(e.device));
			if (e.ip) parts.push(`IP ${str(e.ip)}`);
			break;
		case 'session.revoked': {
			const reason = str(e.reason);
			if (e.device) parts.push(str(e.device));
			parts.push(
				`Reason: ${reason}${REVOKE_REASONS[reason] ? ` — ${REVOKE_REASONS[reason]}` : ''}`
			);
			break;
		}
		case 'user.created':
			if (e.username) parts.push(str(e.username));
			if (e.role) parts.push(`role ${str(e.role)}`);
			break;
		case 'user.updated': {
			const changes = Array.isArray(e.changes)
				? e.changes.map(str)
				: e.change
					? [str(e.change)]
					: [];
			if (e.username) parts.push(str(e.username));
			if (changes.length) parts.push(`changed: ${changes.join(', ')}`);
			break;
		}
		case 'audio.failed':
		case 'call.ingested':
		case 'upload.rejected': {
			const call = (e.call ?? {}) as Record<string, unknown>;
			const system = (call.system ?? e.system) as unknown;
			const talkgroup = (call.talkgroup ?? e.talkgroup) as unknown;
			const label = (v: unknown) =>
				v && typeof v === 'object'
					? str((v as Record<string, unknown>).label) || str((v as Record<string, unknown>).id)
					: str(v);
			if (e.callId !== undefined) parts.push(`call ${str(e.callId)}`);
			if (system) parts.push(`system ${label(system)}`);
			if (talkgroup) parts.push(`talkgroup ${label(talkgroup)}`);
			if (e.reason) parts.push(`Reason: ${e.status ? `${str(e.status)} ` : ''}${str(e.reason)}`);
			const key = e.keyName ?? e.key;
			if (key) parts.push(`key ${label(key)}`);
			if (e.ip) parts.push(`IP ${str(e.ip)}`);
			// Rejections are logged once per client and minute; the closing row counts the rest.
			if (e.type === 'upload.rejected' && e.since !== undefined)
				parts.push(`${str(e.count)} more in that minute`);
			break;
		}
		case 'listeners.changed':
			if (e.count !== undefined || e.listeners !== undefined)
				parts.push(`${str(e.count ?? e.listeners)} listening`);
			break;
		case 'share.created':
		case 'share.viewed':
		case 'share.revoked':
			parts.push(`link #${str(e.linkId)}`);
			if (e.calls !== undefined) parts.push(`${str(e.calls)} call(s)`);
			if (e.views !== undefined) parts.push(`view ${str(e.views)}`);
			break;
		case 'forward.failed':
		case 'forward.recovered':
		case 'forward.gaveup':
			parts.push(str(e.target));
			if (e.error) parts.push(str(e.error));
			break;
		case 'alert.push_failed':
			parts.push(e.status ? `push service answered ${str(e.status)}` : 'push service unreachable');
			if (e.removed) parts.push('device removed');
			else if (e.gaveUp) parts.push('gave up');
			else if (e.retrying) parts.push('retrying');
			break;
	}
	return parts.join(' · ') || '—';
}

/**
 * Talkgroups the listener avoids for a while (or until turned back on). Per device, in
 * localStorage: it is a short-term "not now", unlike the selection that follows the user.
 */
const KEY = 'squelch-avoids';
export const FOREVER = Number.MAX_SAFE_INTEGER;

export interface Avoid {
	key: string;
	label: string;
	until: number;
}

export function loadAvoids(now: number): Avoid[] {
	try {
		const list = JSON.parse(localStorage.getItem(KEY) ?? '[]') as Avoid[];
		return Array.isArray(list)
			? list.filter(
					(a) => typeof a.key === 'string' && typeof a.until === 'number' && a.until > now
				)
			: [];
	} catch {
		return [];
	}
}

export function saveAvoids(list: Avoid[]): void {
	try {
		localStorage.setItem(KEY, JSON.stringify(list));
	} catch {
		// Private mode or full storage: avoids then last for this page only.
	}
}

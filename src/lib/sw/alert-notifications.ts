/// <reference lib="webworker" />
/**
 * The service worker's half of alerts, kept apart from src/service-worker.ts so the shell cache
 * and this stay separate: `push` shows the alert, `notificationclick` opens the call and plays it.
 */
export interface AlertPush {
	callId: number;
	rule: { name: string };
	system: { id: number; label: string };
	talkgroup: { id: number; label: string };
	unit: { id: number; alias: string } | null;
	time: number;
	suppressed?: number;
}

export function notificationFor(a: AlertPush): { title: string; options: NotificationOptions } {
	const unit = a.unit ? ` · unit ${a.unit.alias || a.unit.id}` : '';
	const time = new Date(a.time).toLocaleTimeString(undefined, { timeStyle: 'short' });
	const more = a.suppressed ? ` (+${a.suppressed} more)` : '';
	return {
		title: a.rule.name,
		options: {
			body: `${a.talkgroup.label || a.talkgroup.id} · ${a.system.label || a.system.id}${unit} · ${time}${more}`,
			tag: `squelch-alert-${a.talkgroup.id}`,
			data: { url: `/calls/${a.callId}?play=1` }
		}
	};
}

export async function showAlert(sw: ServiceWorkerGlobalScope, data: unknown): Promise<void> {
	const a = data as AlertPush;
	if (!a || typeof a.callId !== 'number') return;
	const { title, options } = notificationFor(a);
	await sw.registration.showNotification(title, options);
}

/** Focuses a tab already on the call, else steers an open tab there, else opens a window. */
export async function openCall(sw: ServiceWorkerGlobalScope, url: string): Promise<void> {
	const target = new URL(url, sw.location.origin);
	if (target.origin !== sw.location.origin) return;
	const tabs = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
	const same = tabs.find((t) => t.url === target.href);
	if (same) {
		await same.focus();
		return;
	}
	const any = tabs.find((t) => new URL(t.url).origin === target.origin);
	if (any) {
		await any.focus();
		await any.navigate(target.href);
		return;
	}
	await sw.clients.openWindow(target.href);
}

export function installAlertHandlers(sw: ServiceWorkerGlobalScope): void {
	sw.addEventListener('push', (event) => {
		let data: unknown;
		try {
			data = event.data?.json();
		} catch {
			return;
		}
		event.waitUntil(showAlert(sw, data));
	});
	sw.addEventListener('notificationclick', (event) => {
		event.notification.close();
		const url = (event.notification.data as { url?: string } | null)?.url ?? '/';
		event.waitUntil(openCall(sw, url));
	});
}

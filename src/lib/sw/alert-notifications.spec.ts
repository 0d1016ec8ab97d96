import { describe, expect, it } from 'vitest';
import { notificationFor, openCall, showAlert } from './alert-notifications';

// The service worker's alert handlers, called directly: headless Chromium cannot show system
// notifications, so the scope they act on is a small recording double of the worker's globals.
type Tab = { url: string; focused: boolean; navigatedTo?: string };

function scope(tabs: Tab[]) {
	const shown: Array<{ title: string; options: NotificationOptions }> = [];
	const opened: string[] = [];
	const clients = tabs.map((t) => ({
		get url() {
			return t.url;
		},
		focus: async () => void (t.focused = true),
		navigate: async (url: string) => void ((t.navigatedTo = url), (t.url = url))
	}));
	const sw = {
		location: new URL('https://scanner.example.org/sw.js'),
		registration: {
			showNotification: async (title: string, options: NotificationOptions) =>
				void shown.push({ title, options })
		},
		clients: {
			matchAll: async () => clients,
			openWindow: async (url: string) => void opened.push(url)
		}
	} as unknown as ServiceWorkerGlobalScope;
	return { sw, shown, opened };
}

const alert = {
	callId: 42,
	rule: { name: 'Station 14' },
	system: { id: 11, label: 'County' },
	talkgroup: { id: 4200, label: 'Fire Dispatch' },
	unit: { id: 4214, alias: 'Engine 14' },
	time: Date.UTC(2026, 0, 1, 12, 0),
	suppressed: 2
};

describe('service worker alert handlers', () => {
	it('push shows the rule name, talkgroup, unit and time, pointing at the call', async () => {
		const { sw, shown } = scope([]);
		await showAlert(sw, alert);
		expect(shown).toHaveLength(1);
		expect(shown[0].title).toBe('Station 14');
		expect(shown[0].options.body).toMatch(
			/^Fire Dispatch · County · unit Engine 14 · .+ \(\+2 more\)$/
		);
		expect(shown[0].options.data).toEqual({ url: '/calls/42?play=1' });
		await showAlert(sw, { nonsense: true });
		expect(shown).toHaveLength(1);
	});

	it('a click focuses a tab already on the call', async () => {
		const tabs = [{ url: 'https://scanner.example.org/calls/42?play=1', focused: false }];
		const { sw, opened } = scope(tabs);
		await openCall(sw, notificationFor(alert).options.data.url);
		expect(tabs[0].focused).toBe(true);
		expect(opened).toEqual([]);
	});

	it('else steers an open Squelch tab to the call, else opens a window', async () => {
		const tabs = [{ url: 'https://scanner.example.org/', focused: false } as Tab];
		const first = scope(tabs);
		await openCall(first.sw, '/calls/42?play=1');
		expect(tabs[0]).toMatchObject({
			focused: true,
			navigatedTo: 'https://scanner.example.org/calls/42?play=1'
		});
		const none = scope([]);
		await openCall(none.sw, '/calls/42?play=1');
		expect(none.opened).toEqual(['https://scanner.example.org/calls/42?play=1']);
		// A URL off this origin is never opened.
		await openCall(none.sw, 'https://evil.example/');
		expect(none.opened).toHaveLength(1);
	});
});

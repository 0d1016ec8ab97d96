import { api } from './trpc';
import { followEvents, type FeedStatus } from './admin-events';

/** An in-page alert as `alerts.live` sends it (see docs/api.md), id being the tracked id. */
export interface InPageAlert {
	id: string;
	callId: number;
	rule: { id: number; name: string };
	system: { id: number; label: string };
	talkgroup: { id: number; label: string };
	unit: { id: number; alias: string } | null;
	time: number;
	sound: string;
	suppressed: number;
	/** When the server decided it, epoch ms. */
	at: number;
}

/** Follows the signed-in user's alerts on the tab's one WebSocket; returns the stop function. */
export function subscribeAlerts(handlers: {
	onAlert(alert: InPageAlert): void;
	onStatus?(status: FeedStatus, detail?: string): void;
}): () => void {
	return followEvents((input, observer) => api.alerts.live.subscribe(input, observer), {
		onEvent: (event) => handlers.onAlert(event as unknown as InPageAlert),
		onStatus: handlers.onStatus
	});
}

const TONES: Record<string, number[]> = {
	beep: [880],
	chime: [660, 880, 990],
	siren: [600, 900, 600, 900]
};

/**
 * Plays the rule's sound with Web Audio (no file to fetch). Returns whether it played: not for
 * 'none', and not before the user has touched the page (browsers would refuse and warn).
 */
export function playAlertSound(sound: string): boolean {
	const tones = TONES[sound];
	if (!tones || typeof AudioContext === 'undefined') return false;
	if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return false;
	const ctx = new AudioContext();
	tones.forEach((hz, i) => {
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.frequency.value = hz;
		gain.gain.value = 0.15;
		osc.connect(gain).connect(ctx.destination);
		osc.start(ctx.currentTime + i * 0.2);
		osc.stop(ctx.currentTime + i * 0.2 + 0.18);
	});
	setTimeout(() => void ctx.close(), tones.length * 200 + 200);
	return true;
}

/** One line for the talkgroup, unit and time of an alert (the notification's body too). */
export function describeAlert(a: InPageAlert): string {
	const unit = a.unit ? ` · unit ${a.unit.alias || a.unit.id}` : '';
	const more = a.suppressed ? ` · +${a.suppressed} more` : '';
	const time = new Date(a.time).toLocaleTimeString(undefined, { timeStyle: 'short' });
	return `${a.talkgroup.label || a.talkgroup.id}${unit} · ${time}${more}`;
}

export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export async function pushState(): Promise<PushState> {
	if (!('serviceWorker' in navigator) || !('PushManager' in window)) return 'unsupported';
	if (Notification.permission === 'denied') return 'denied';
	const reg = await navigator.serviceWorker.getRegistration();
	return (await reg?.pushManager.getSubscription()) ? 'on' : 'off';
}

/** How long the browser may take to register with its push service before the page gives up. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;

function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
		promise.then(
			(value) => (clearTimeout(timer), resolve(value)),
			(err) => (clearTimeout(timer), reject(err))
		);
	});
}

/** Asks for permission (call only from a click) and binds this device's push subscription. */
export async function enablePush(): Promise<PushState> {
	if ((await pushState()) === 'unsupported') return 'unsupported';
	if ((await Notification.requestPermission()) !== 'granted') return 'denied';
	const reg = await navigator.serviceWorker.ready;
	const { publicKey } = await api.alerts.push.publicKey.query();
	const sub = await withinTime(
		reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }),
		SUBSCRIBE_TIMEOUT_MS
	).catch((err: unknown) => {
		// The browser's own push service (FCM, Mozilla's, Apple's) is out of reach: offline, a
		// blocked network, or a browser built without one. Chromium then never answers at all.
		const why = err instanceof Error ? err.message : String(err);
		throw new Error(`This browser could not reach its push service (${why}). Try again later.`);
	});
	const json = sub.toJSON();
	await api.alerts.push.subscribe.mutate({
		endpoint: sub.endpoint,
		keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' }
	});
	return 'on';
}

export async function disablePush(): Promise<PushState> {
	const reg = await navigator.serviceWorker.getRegistration();
	const sub = await reg?.pushManager.getSubscription();
	if (sub) {
		await api.alerts.push.unsubscribe.mutate({ endpoint: sub.endpoint });
		await sub.unsubscribe();
	}
	return 'off';
}

import { clockTime, tgTitle, unitLabel, type Call } from './format';

/**
 * The OS media controls (lock screen, notification, headphones, car): what plays and what the
 * buttons do. Browsers without the Media Session API simply get none of it.
 */
const supported = () => typeof navigator !== 'undefined' && 'mediaSession' in navigator;

const ARTWORK: MediaImage[] = [
	{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
	{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' }
];

export interface MediaActions {
	play(): void;
	pause(): void;
	next(): void;
	previous(): void;
	seek(seconds: number): void;
}

export function bindMediaActions(actions: MediaActions): void {
	if (!supported()) return;
	const set = (action: MediaSessionAction, handler: MediaSessionActionHandler | null) => {
		try {
			navigator.mediaSession.setActionHandler(action, handler);
		} catch {
			// This browser does not know the action.
		}
	};
	set('play', () => actions.play());
	set('pause', () => actions.pause());
	set('nexttrack', () => actions.next());
	set('previoustrack', () => actions.previous());
	set('seekto', (d) => d.seekTime !== undefined && actions.seek(d.seekTime));
}

/** Title: the talkgroup; artist: system and unit; album: the call's time. */
export function showCall(call: Call | null): void {
	if (!supported()) return;
	navigator.mediaSession.metadata = call
		? new MediaMetadata({
				title: [tgTitle(call), call.talkgroup.name].filter(Boolean).join(' — '),
				artist: [call.system.label || `System ${call.system.id}`, unitLabel(call)]
					.filter(Boolean)
					.join(' · '),
				album: clockTime(call.dateTime),
				artwork: ARTWORK
			})
		: null;
}

export function showState(state: MediaSessionPlaybackState): void {
	if (supported()) navigator.mediaSession.playbackState = state;
}

/** Kept in step with the element so the OS scrubber shows the right place and speed. */
export function showPosition(audio: HTMLAudioElement): void {
	if (!supported() || !navigator.mediaSession.setPositionState) return;
	const duration = audio.duration;
	try {
		if (!Number.isFinite(duration) || duration <= 0) navigator.mediaSession.setPositionState();
		else
			navigator.mediaSession.setPositionState({
				duration,
				position: Math.min(audio.currentTime, duration),
				playbackRate: audio.playbackRate || 1
			});
	} catch {
		// A value the browser refuses (e.g. mid-load): the next update corrects it.
	}
}

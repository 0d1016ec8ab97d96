import { session } from '$lib/client/session.svelte';
import type { Call } from './format';
import { showPosition, showState } from './media-session';

export interface PlayerEvents {
	/** The call played to its end. */
	ended(call: Call): void;
	/** Its audio could not be loaded or decoded (after the one 401 retry). */
	failed(call: Call): void;
	/** Something other than this app paused the element: the OS, a phone call, unplugged headphones. */
	interrupted(): void;
	/** The browser wants a tap before it plays sound. */
	blocked(): void;
}

/**
 * The ONE audio element of the session and what happens to it: loading a call (from audio fetched
 * ahead when it is ready, so calls follow each other without a gap in which a phone could suspend
 * the page), speed with pitch kept, volume, position, and telling an interruption by the OS apart
 * from our own pauses.
 */
export class Player {
	position = $state(0);
	duration = $state(0);
	private audio: HTMLAudioElement | null = null;
	private call: Call | null = null;
	/** The current load; a failure is handled once per attempt. */
	private attempt: { call: Call; retry: boolean; failed: boolean } | null = null;
	/** Set before our own pause or source change, so their `pause` event is not an interruption. */
	private ownPause = false;
	private ahead: { id: number; url: Promise<string | null> } | null = null;
	private blobUrl: string | null = null;
	private rate = 1;

	constructor(private events: PlayerEvents) {}

	attach(audio: HTMLAudioElement) {
		this.audio = audio;
		audio.preservesPitch = true;
		audio.addEventListener('ended', () => this.call && this.events.ended(this.call));
		audio.addEventListener('error', () => void this.failed());
		audio.addEventListener('playing', () => {
			this.ownPause = false;
			showState('playing');
		});
		audio.addEventListener('pause', () => {
			// Ours, the end of a call, or a load that failed (handled by `error`): not the OS.
			if (this.ownPause || audio.ended || audio.error || !audio.getAttribute('src')) {
				this.ownPause = false;
				return;
			}
			showState('paused');
			this.events.interrupted();
		});
		const tick = () => {
			this.position = audio.currentTime;
			this.duration = Number.isFinite(audio.duration) ? audio.duration : 0;
			showPosition(audio);
		};
		for (const type of ['timeupdate', 'loadedmetadata', 'durationchange', 'ratechange', 'seeked'])
			audio.addEventListener(type, tick);
	}

	/** Loads `call` and, unless `start` is false, plays it. */
	async load(call: Call, start: boolean, retry = false) {
		const audio = this.audio;
		if (!audio) return;
		this.call = call;
		const attempt = { call, retry, failed: false };
		this.attempt = attempt;
		const prefetched = !retry && this.ahead?.id === call.id ? await this.ahead.url : null;
		this.ahead = null;
		// Otherwise the element fetches it with the access cookie: make sure that is not about to
		// expire, and while refreshes fail (network), wait for the next token rather than load a sure 401.
		if (!prefetched && !(await session.getAccessToken()) && session.retrying)
			await session.nextToken();
		if (this.attempt !== attempt) {
			if (prefetched) URL.revokeObjectURL(prefetched);
			return;
		}
		// Only ever set here: a pause() just before may still have its event on the way.
		if (!audio.paused) this.ownPause = true;
		audio.src = prefetched ?? call.audioUrl;
		this.dropBlob();
		this.blobUrl = prefetched;
		audio.defaultPlaybackRate = this.rate;
		audio.playbackRate = this.rate;
		audio.preservesPitch = true;
		this.position = 0;
		if (start) await this.start(attempt);
	}

	private async start(attempt = this.attempt) {
		const audio = this.audio;
		if (!audio || !audio.getAttribute('src')) return;
		try {
			await audio.play();
		} catch (err) {
			// An AbortError means a skip or new source interrupted it; load failures arrive as `error`.
			if ((err as DOMException).name === 'NotAllowedError' && this.attempt === attempt)
				this.events.blocked();
		}
	}

	resume() {
		void this.start();
	}

	pause() {
		if (!this.audio || this.audio.paused) return;
		this.ownPause = true;
		this.audio.pause();
		showState('paused');
	}

	/** Nothing to play: the element lets go of its source. */
	clear() {
		this.call = null;
		this.attempt = null;
		if (this.audio && !this.audio.paused) this.ownPause = true;
		this.audio?.removeAttribute('src');
		this.audio?.load();
		this.dropBlob();
		this.position = this.duration = 0;
		showState('none');
	}

	seek(seconds: number) {
		if (!this.audio || !Number.isFinite(seconds)) return;
		const max = Number.isFinite(this.audio.duration) ? this.audio.duration : 0;
		this.audio.currentTime = Math.min(Math.max(0, seconds), max);
	}

	/** Applies to the playing call and every following one. */
	setRate(rate: number) {
		this.rate = rate;
		if (!this.audio) return;
		this.audio.defaultPlaybackRate = rate;
		this.audio.playbackRate = rate;
		this.audio.preservesPitch = true;
	}

	setVolume(volume: number) {
		if (this.audio) this.audio.volume = volume;
	}

	/**
	 * Fetches the next call's audio now (same-origin, so the access cookie goes along as for the
	 * element), so it starts the moment the current one ends. One call ahead at most; a failure
	 * just means the element loads it itself.
	 */
	prefetch(call: Call | null) {
		if (!call || this.ahead?.id === call.id || this.call?.id === call.id) return;
		const previous = this.ahead;
		this.ahead = {
			id: call.id,
			url: fetch(call.audioUrl, { credentials: 'same-origin' })
				.then(async (res) => (res.ok ? URL.createObjectURL(await res.blob()) : null))
				.catch(() => null)
		};
		void previous?.url.then((url) => url && URL.revokeObjectURL(url));
	}

	private dropBlob() {
		if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
		this.blobUrl = null;
	}

	/**
	 * The audio did not load. A 401 (the access cookie ran out) refreshes once (waiting for the
	 * session to come back if the network is failing) and retries the same call once; anything
	 * else, or a second failure, is reported.
	 */
	private async failed() {
		const attempt = this.attempt;
		if (!attempt || attempt.failed || !this.audio?.getAttribute('src')) return;
		attempt.failed = true;
		if (!attempt.retry) {
			const probe = await fetch(attempt.call.audioUrl, {
				method: 'HEAD',
				credentials: 'same-origin'
			}).catch(() => null);
			if (
				probe?.status === 401 &&
				((await session.refresh()) || (session.retrying && (await session.nextToken())))
			) {
				if (this.attempt === attempt) return this.load(attempt.call, true, true);
				return;
			}
		}
		if (this.attempt === attempt) this.events.failed(attempt.call);
	}
}

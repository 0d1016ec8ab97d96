import { api, recoverFromUnauthorized } from '$lib/client/trpc';
import { session } from '$lib/client/session.svelte';
import { callKey, tgTitle, type Call } from './format';
import { FOREVER, loadAvoids, saveAvoids, type Avoid } from './avoids';

export type Led = 'idle' | 'receiving' | 'playing' | 'paused';
export type Hold =
	| { kind: 'system'; system: number; label: string }
	| { kind: 'talkgroup'; system: number; talkgroup: number; label: string }
	| null;

const HISTORY = 50;
/** How long the LED says "receiving" after a call arrives while nothing plays. */
const RECEIVING_MS = 1_500;

/**
 * The live scanner: calls from live.calls enter a queue and play one after another through ONE
 * audio element (browsers allow autoplay on it once a tap has started it). Hold and avoid decide
 * what plays; the talkgroup selection is applied by the server and again here for calls already
 * queued when it changed.
 */
export class Scanner {
	unlocked = $state(false);
	paused = $state(false);
	current = $state<Call | null>(null);
	queue = $state<Call[]>([]);
	history = $state<Call[]>([]);
	hold = $state<Hold>(null);
	avoids = $state<Avoid[]>([]);
	receivingUntil = $state(0);
	/** Ids that played to the end (or were heard in part before a skip): the tests read this. */
	playedIds = $state<number[]>([]);
	listeners = $state<number | null>(null);
	now = $state(Date.now());

	/** Keys (system:talkgroup) turned off in the selection. */
	muted: Set<string> = new Set();

	private audio: HTMLAudioElement | null = null;
	private lastEventId: string | null = null;
	private seen = new Set<number>();
	/** The current load of the current call; a failure is handled once per attempt. */
	private attempt: { call: Call; retry: boolean; failed: boolean } | null = null;
	private subscription: { unsubscribe(): void } | null = null;
	private timers: Array<ReturnType<typeof setInterval>> = [];

	led = $derived<Led>(
		this.current && this.paused
			? 'paused'
			: this.current
				? 'playing'
				: this.paused
					? 'paused'
					: this.receivingUntil > this.now
						? 'receiving'
						: 'idle'
	);

	attach(audio: HTMLAudioElement) {
		this.audio = audio;
		audio.addEventListener('ended', () => this.finished());
		audio.addEventListener('error', () => void this.failed());
	}

	start() {
		this.avoids = loadAvoids(Date.now());
		this.subscribe();
		this.timers.push(setInterval(() => (this.now = Date.now()), 500));
		this.timers.push(setInterval(() => void this.pollListeners(), 15_000));
		void this.pollListeners();
	}

	stop() {
		this.subscription?.unsubscribe();
		this.subscription = null;
		for (const t of this.timers) clearInterval(t);
		this.timers = [];
		this.audio?.pause();
	}

	/** The first tap: browsers then let this element play without further gestures. */
	async unlock() {
		this.unlocked = true;
		this.paused = false;
		if (!this.current) this.next();
	}

	private subscribe() {
		this.subscription = api.live.calls.subscribe(
			{ lastEventId: this.lastEventId },
			{
				// Counting includes this stream once it runs.
				onStarted: () => {
					this.refusedAgain = false;
					void this.pollListeners();
				},
				onData: (event) => {
					this.lastEventId = event.id;
					this.receive(event.data);
				},
				onError: (err) => {
					// The realtime layer reconnects on its own; a refused subscribe ends this one, so resume it.
					this.subscription = null;
					if (err.data?.code === 'UNAUTHORIZED') return void this.reauthenticate();
					setTimeout(() => {
						if (!this.subscription && session.status === 'signed-in') this.subscribe();
					}, 2_000);
				}
			}
		);
	}

	/** Set after a refusal was answered with a refresh; a second refusal in a row is final. */
	private refusedAgain = false;

	/** UNAUTHORIZED: one refresh and a new socket, then one resubscribe; never a loop. */
	private async reauthenticate() {
		if (this.refusedAgain) return;
		this.refusedAgain = true;
		if ((await recoverFromUnauthorized()) && !this.subscription) this.subscribe();
	}

	private async pollListeners() {
		try {
			this.listeners = (await api.live.listeners.query()).count;
		} catch {
			// Shown as unknown until the next poll.
		}
	}

	receive(call: Call) {
		if (this.seen.has(call.id)) return;
		this.seen.add(call.id);
		this.history = [call, ...this.history].slice(0, HISTORY);
		this.receivingUntil = Date.now() + RECEIVING_MS;
		if (!this.muted.has(callKey(call))) this.queue = [...this.queue, call];
		if (!this.current && this.unlocked && !this.paused) this.next();
	}

	/** Whether a call may play now: not turned off, not avoided, inside the hold. */
	eligible(call: Call): boolean {
		const key = callKey(call);
		if (this.muted.has(key)) return false;
		if (this.avoids.some((a) => a.key === key && a.until > Date.now())) return false;
		const hold = this.hold;
		if (hold?.kind === 'system' && call.system.id !== hold.system) return false;
		if (
			hold?.kind === 'talkgroup' &&
			(call.system.id !== hold.system || call.talkgroup.id !== hold.talkgroup)
		)
			return false;
		return true;
	}

	/** Plays the next eligible queued call; the rest that may not play now are dropped. */
	next() {
		const queue = this.queue;
		let i = 0;
		while (i < queue.length && !this.eligible(queue[i])) i++;
		this.queue = queue.slice(i + 1);
		const call = queue[i] ?? null;
		if (call) void this.play(call);
		else this.idle();
	}

	private idle() {
		this.current = null;
		this.attempt = null;
		this.audio?.removeAttribute('src');
	}

	async play(call: Call, retry = false) {
		if (!this.audio) return;
		this.current = call;
		const attempt = { call, retry, failed: false };
		this.attempt = attempt;
		// The audio request carries the access cookie: make sure it is not about to expire, and
		// while refreshes fail (network), wait for the next token rather than load a sure 401.
		if (!(await session.getAccessToken()) && session.retrying) await session.nextToken();
		if (this.attempt !== attempt) return;
		this.audio.src = call.audioUrl;
		if (this.paused || !this.unlocked) return;
		try {
			await this.audio.play();
		} catch (err) {
			// The browser wants a new gesture: show the start button again. Load failures arrive as
			// the element's error event; an AbortError means a skip or new source interrupted it.
			if ((err as DOMException).name === 'NotAllowedError' && this.attempt === attempt)
				this.unlocked = false;
		}
	}

	private finished() {
		if (this.current && !this.playedIds.includes(this.current.id))
			this.playedIds = [...this.playedIds, this.current.id];
		this.next();
	}

	/**
	 * The audio did not load. A 401 (the access cookie ran out) refreshes once (waiting for the
	 * session to come back if the network is failing) and retries the same call once; anything
	 * else, or a second failure, skips it.
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
			// While refreshes fail for network reasons, the call waits for the next token.
			if (
				probe?.status === 401 &&
				((await session.refresh()) || (session.retrying && (await session.nextToken())))
			) {
				if (this.attempt === attempt) return this.play(attempt.call, true);
				return;
			}
		}
		if (this.attempt === attempt) this.next();
	}

	togglePause() {
		if (!this.unlocked) return void this.unlock();
		this.paused = !this.paused;
		if (this.paused) this.audio?.pause();
		else if (this.current) void this.audio?.play().catch(() => undefined);
		else this.next();
	}

	skip() {
		this.audio?.pause();
		this.next();
	}

	/** Plays the call again: the current one from its start, else the last received. */
	replay(call: Call | null = this.current ?? this.history[0] ?? null) {
		if (!call) return;
		if (!this.unlocked) this.unlocked = true;
		this.paused = false;
		if (this.current && this.current.id !== call.id) this.queue = [this.current, ...this.queue];
		void this.play(call);
	}

	holdSystem() {
		const call = this.current ?? this.history[0];
		if (this.hold?.kind === 'system' || !call) this.hold = null;
		else
			this.hold = {
				kind: 'system',
				system: call.system.id,
				label: call.system.label || String(call.system.id)
			};
	}

	holdTalkgroup() {
		const call = this.current ?? this.history[0];
		if (this.hold?.kind === 'talkgroup' || !call) this.hold = null;
		else
			this.hold = {
				kind: 'talkgroup',
				system: call.system.id,
				talkgroup: call.talkgroup.id,
				label: tgTitle(call)
			};
		if (this.hold && this.current && !this.eligible(this.current)) this.skip();
	}

	/** Avoids the current (or last) call's talkgroup for `minutes`, or until turned back on (null). */
	avoid(minutes: number | null, call: Call | null = this.current ?? this.history[0] ?? null) {
		if (!call) return;
		const key = callKey(call);
		const until = minutes === null ? FOREVER : Date.now() + minutes * 60_000;
		this.avoids = [
			...this.avoids.filter((a) => a.key !== key),
			{ key, label: `${tgTitle(call)} (${call.system.label || call.system.id})`, until }
		];
		saveAvoids(this.avoids);
		if (this.current && callKey(this.current) === key) this.skip();
	}

	unavoid(key: string) {
		this.avoids = this.avoids.filter((a) => a.key !== key);
		saveAvoids(this.avoids);
	}

	/** A new selection: queued calls of talkgroups turned off go, and the current one skips. */
	setMuted(muted: Set<string>) {
		this.muted = muted;
		this.queue = this.queue.filter((c) => !muted.has(callKey(c)));
		if (this.current && muted.has(callKey(this.current))) this.skip();
	}
}

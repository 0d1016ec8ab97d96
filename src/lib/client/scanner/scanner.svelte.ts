import { api, recoverFromUnauthorized } from '$lib/client/trpc';
import { session } from '$lib/client/session.svelte';
import { callKey, clockTime, tgTitle, type Call } from './format';
import { FOREVER, loadAvoids, saveAvoids, type Avoid } from './avoids';
import { Player } from './player.svelte';
import { jumpToLive, playbackRate, splitByAge } from './queue';
import { loadSettings, saveSettings, type ListenSettings } from './listen-settings';
import { bindMediaActions, showCall } from './media-session';

export type Led = 'idle' | 'receiving' | 'playing' | 'paused';
export type Hold =
	| { kind: 'system'; system: number; label: string }
	| { kind: 'talkgroup'; system: number; talkgroup: number; label: string }
	| null;
/** Why the scanner is not playing when the listener might expect it to: what happened, what to tap. */
export type Notice = {
	kind: 'autoplay' | 'failed' | 'interrupted' | 'dropped';
	text: string;
} | null;

const HISTORY = 50;
/** Calls shown under "Recent calls" when the page opens, before any arrive live. */
const RECENT = 10;
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
	/** Whether the last listener count already included this device's own stream. */
	countsMe = $state(false);
	now = $state(Date.now());
	settings = $state<ListenSettings>(loadSettings());
	notice = $state<Notice>(null);
	/** Calls the age limit dropped since the page opened. */
	droppedByAge = $state(0);
	/** The recent calls were loaded (their list may be empty). */
	recentLoaded = $state(false);
	readonly player = new Player({
		ended: () => this.finished(),
		failed: (call) => this.failed(call),
		interrupted: () => this.interrupted(),
		blocked: () => this.blocked()
	});

	/** Keys (system:talkgroup) turned off in the selection. */
	muted: Set<string> = new Set();

	private lastEventId: string | null = null;
	private seen = new Set<number>();
	private streaming = false;
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
		this.player.attach(audio);
		this.player.setVolume(this.settings.volume);
		this.applyRate();
		bindMediaActions({
			play: () => this.paused && this.togglePause(),
			pause: () => !this.paused && this.unlocked && this.togglePause(),
			next: () => this.skip(),
			previous: () => this.replay(),
			seek: (seconds) => this.player.seek(seconds)
		});
	}

	start() {
		this.avoids = loadAvoids(Date.now());
		this.subscribe();
		void this.loadRecent();
		this.timers.push(
			setInterval(() => {
				this.now = Date.now();
				this.pruneByAge();
			}, 500)
		);
		this.timers.push(setInterval(() => void this.pollListeners(), 15_000));
		void this.pollListeners();
		document.addEventListener('resume', this.resumed);
	}

	/**
	 * Back from an OS freeze: calls that arrived meanwhile are in the queue (the live stream resumes
	 * from the last tracked id); age limits apply to them now, and a stopped stream starts again.
	 */
	private resumed = () => {
		this.now = Date.now();
		this.pruneByAge();
		if (!this.subscription && session.status === 'signed-in') this.subscribe();
		if (!this.current && this.unlocked && !this.paused) this.next();
	};

	stop() {
		this.subscription?.unsubscribe();
		this.subscription = null;
		for (const t of this.timers) clearInterval(t);
		this.timers = [];
		document.removeEventListener('resume', this.resumed);
		this.player.pause();
	}

	/** The first tap: browsers then let this element play without further gestures. */
	async unlock() {
		this.unlocked = true;
		this.paused = false;
		this.notice = null;
		if (this.current) this.player.resume();
		else this.next();
	}

	/** The latest calls, so the page is not empty before the next one arrives; they do not play. */
	private async loadRecent() {
		try {
			const { items } = await api.calls.search.query({ limit: RECENT });
			const live = new Set(this.history.map((c) => c.id));
			this.history = [...this.history, ...items.filter((c) => !live.has(c.id))].slice(0, HISTORY);
		} catch {
			// The list fills as calls arrive.
		}
		this.recentLoaded = true;
	}

	/** Changes and stores this device's listening settings; speed and volume apply at once. */
	configure(change: Partial<ListenSettings>) {
		this.settings = { ...this.settings, ...change };
		saveSettings(this.settings);
		this.player.setVolume(this.settings.volume);
		this.applyRate();
		this.pruneByAge();
	}

	private applyRate() {
		this.player.setRate(playbackRate(this.settings, this.queue.length));
	}

	/** Drops queued calls older than the listener's limit, and says so. */
	private pruneByAge() {
		const { kept, dropped } = splitByAge(this.queue, this.settings.maxAgeMinutes, Date.now());
		if (!dropped.length) return;
		this.queue = kept;
		this.droppedByAge += dropped.length;
		this.notice = {
			kind: 'dropped',
			text: `Dropped ${dropped.length} queued ${dropped.length === 1 ? 'call' : 'calls'} older than ${this.settings.maxAgeMinutes} min.`
		};
		this.applyRate();
	}

	/** What "Jump to live" would do now: the number on its button. */
	get liveJump() {
		return jumpToLive(this.queue, this.current);
	}

	/** Skips everything queued but the newest call, which plays now. */
	jumpToLive() {
		const { play } = this.liveJump;
		if (!play) return;
		this.queue = [play];
		if (!this.unlocked) this.unlocked = true;
		this.paused = false;
		this.next();
	}

	private subscribe() {
		this.subscription = api.live.calls.subscribe(
			{ lastEventId: this.lastEventId },
			{
				// Counting includes this stream once it runs.
				onStarted: () => {
					this.streaming = true;
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
			const countsMe = this.streaming;
			this.listeners = (await api.live.listeners.query()).count;
			this.countsMe = countsMe;
		} catch {
			// Shown as unknown until the next poll.
		}
	}

	receive(call: Call) {
		// The same call again is an update (its transcript arrived): shown in place, never replayed.
		if (this.seen.has(call.id)) return this.update(call);
		this.seen.add(call.id);
		this.history = [call, ...this.history.filter((c) => c.id !== call.id)].slice(0, HISTORY);
		this.receivingUntil = Date.now() + RECEIVING_MS;
		if (!this.muted.has(callKey(call))) this.queue = [...this.queue, call];
		this.pruneByAge();
		this.applyRate();
		if (!this.current && this.unlocked && !this.paused) this.next();
		else if (this.current && !this.paused) this.prefetchNext();
	}

	/** Puts a newer copy of a call wherever it is shown or waits. */
	private update(call: Call) {
		const swap = (c: Call) => (c.id === call.id ? call : c);
		this.history = this.history.map(swap);
		this.queue = this.queue.map(swap);
		if (this.current?.id === call.id) this.current = call;
	}

	private prefetchNext() {
		this.player.prefetch(this.queue.find((c) => this.eligible(c)) ?? null);
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
		this.pruneByAge();
		const queue = this.queue;
		let i = 0;
		while (i < queue.length && !this.eligible(queue[i])) i++;
		this.queue = queue.slice(i + 1);
		const call = queue[i] ?? null;
		this.applyRate();
		if (call) this.play(call);
		else this.idle();
	}

	private idle() {
		this.current = null;
		this.player.clear();
		showCall(null);
	}

	play(call: Call) {
		this.current = call;
		showCall(call);
		void this.player.load(call, this.unlocked && !this.paused).then(() => this.prefetchNext());
	}

	private finished() {
		if (this.current && !this.playedIds.includes(this.current.id))
			this.playedIds = [...this.playedIds, this.current.id];
		this.next();
	}

	private failed(call: Call) {
		this.notice = {
			kind: 'failed',
			text: `The audio of ${tgTitle(call)} at ${clockTime(call.dateTime)} could not be loaded, so it was skipped.`
		};
		this.next();
	}

	/** The OS (a phone call, unplugged headphones, another app) paused us: stay paused and say so. */
	private interrupted() {
		this.paused = true;
		this.notice = {
			kind: 'interrupted',
			text: 'Playback was paused by the device (a phone call, another app, or headphones unplugged). Press Play to resume.'
		};
	}

	/** Autoplay was refused: the one big start button comes back. */
	private blocked() {
		this.unlocked = false;
		this.notice = {
			kind: 'autoplay',
			text: 'The browser blocked sound until you tap. Tap “Start listening” to resume.'
		};
	}

	togglePause() {
		if (!this.unlocked) return void this.unlock();
		this.paused = !this.paused;
		this.notice = null;
		if (this.paused) this.player.pause();
		else if (this.current) this.player.resume();
		else this.next();
	}

	skip() {
		this.player.pause();
		this.next();
	}

	/** Plays the call again: the current one from its start, else the last received. */
	replay(call: Call | null = this.current ?? this.history[0] ?? null) {
		if (!call) return;
		if (!this.unlocked) this.unlocked = true;
		this.paused = false;
		this.notice = null;
		if (this.current && this.current.id !== call.id) this.queue = [this.current, ...this.queue];
		this.play(call);
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

import type { Clock } from '../core/clock';

/** A scheduled action; `cancel` it, or let it run once its time on the clock has come. */
export interface Deadline {
	readonly at: number;
	cancel(): void;
}

class Slot implements Deadline {
	index = -1;
	constructor(
		readonly at: number,
		readonly seq: number,
		public run: (() => void) | null,
		private owner: Deadlines
	) {}
	cancel(): void {
		if (this.run === null) return;
		this.run = null;
		this.owner.drop(this);
	}
}

// setTimeout's largest delay; a later deadline is re-armed when the timer fires.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Every socket deadline of a server (reconnect notices, token and account expiries) in one
 * binary heap behind one timer, instead of a Node timer per socket and kind: ten thousand
 * sockets hold ten thousand small slots, not twenty thousand `Timeout`s with their closures.
 * Deadlines are on the injectable clock and run in time order (ties in scheduling order),
 * exactly when the clock reaches them.
 */
export class Deadlines {
	private heap: Slot[] = [];
	private seq = 0;
	private timer: NodeJS.Timeout | null = null;
	private armedFor = Infinity;

	constructor(private clock: Clock) {}

	/** Runs `run` once the clock reaches `at` (at once, on the timer, if it already has). */
	at(at: number, run: () => void): Deadline {
		const slot = new Slot(at, this.seq++, run, this);
		slot.index = this.heap.length;
		this.heap.push(slot);
		this.up(slot.index);
		this.arm();
		return slot;
	}

	get size(): number {
		return this.heap.length;
	}

	/** Cancels everything (shutdown). */
	clear(): void {
		for (const slot of this.heap) slot.run = null;
		this.heap = [];
		this.disarm();
	}

	/** @internal Slot.cancel */
	drop(slot: Slot): void {
		const i = slot.index;
		if (i < 0) return;
		const last = this.heap.pop()!;
		slot.index = -1;
		if (last !== slot) {
			this.heap[i] = last;
			last.index = i;
			this.down(i);
			this.up(last.index);
		}
		if (this.heap.length === 0) this.disarm();
	}

	private fire = (): void => {
		this.timer = null;
		this.armedFor = Infinity;
		const now = this.clock.now();
		while (this.heap.length > 0 && this.heap[0].at <= now) {
			const slot = this.heap[0];
			const run = slot.run;
			slot.run = null;
			this.drop(slot);
			try {
				run?.();
			} catch (err) {
				console.error('socket deadline failed:', err);
			}
		}
		this.arm();
	};

	private arm(): void {
		const first = this.heap[0];
		if (!first || first.at >= this.armedFor) return;
		this.disarm();
		this.armedFor = first.at;
		const delay = Math.min(MAX_DELAY_MS, Math.max(0, first.at - this.clock.now()));
		this.timer = setTimeout(this.fire, delay);
		this.timer.unref?.();
	}

	private disarm(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.armedFor = Infinity;
	}

	private before(a: Slot, b: Slot): boolean {
		return a.at < b.at || (a.at === b.at && a.seq < b.seq);
	}

	private up(i: number): void {
		const heap = this.heap;
		while (i > 0) {
			const parent = (i - 1) >> 1;
			if (!this.before(heap[i], heap[parent])) break;
			this.swap(i, parent);
			i = parent;
		}
	}

	private down(i: number): void {
		const heap = this.heap;
		for (;;) {
			const l = 2 * i + 1;
			const r = l + 1;
			let min = i;
			if (l < heap.length && this.before(heap[l], heap[min])) min = l;
			if (r < heap.length && this.before(heap[r], heap[min])) min = r;
			if (min === i) return;
			this.swap(i, min);
			i = min;
		}
	}

	private swap(i: number, j: number): void {
		const heap = this.heap;
		[heap[i], heap[j]] = [heap[j], heap[i]];
		heap[i].index = i;
		heap[j].index = j;
	}
}

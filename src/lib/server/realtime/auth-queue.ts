/** A socket waiting to authenticate: `expire` runs if `authDue` still holds the time it was queued for. */
export interface AuthWaiter {
	authDue: number;
	expire(): void;
}

/**
 * The authentication deadlines of a server's sockets behind one Node timer, instead of a
 * `setTimeout` and `clearTimeout` per socket (10,000 sockets connecting: a `Timeout` each, made
 * and dropped within milliseconds when the token comes). They share one length, so they come due
 * in the order armed: a queue, not a heap. Disarming is `authDue = 0`; a disarmed or re-armed
 * entry is skipped when reached. Times are the process's monotonic milliseconds, as the timer's.
 */
export class AuthQueue {
	private waiters: AuthWaiter[] = [];
	private dues: number[] = [];
	private head = 0;
	private timer: NodeJS.Timeout | null = null;
	private timerAt = Infinity;

	constructor(private now: () => number) {}

	/** `waiter` expires at `due` unless its `authDue` changes meanwhile. */
	arm(waiter: AuthWaiter, due: number): void {
		waiter.authDue = due;
		const last = this.dues.length - 1;
		if (last < this.head || this.dues[last] <= due) {
			this.waiters.push(waiter);
			this.dues.push(due);
		} else {
			// A shorter timeout than before (the setting changed): keep the queue in time order.
			let i = last;
			while (i >= this.head && this.dues[i] > due) i--;
			this.waiters.splice(i + 1, 0, waiter);
			this.dues.splice(i + 1, 0, due);
		}
		if (due < this.timerAt) this.schedule(due);
	}

	stop(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		this.timerAt = Infinity;
		this.waiters = [];
		this.dues = [];
		this.head = 0;
	}

	private schedule(at: number): void {
		if (this.timer) clearTimeout(this.timer);
		this.timerAt = at;
		this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(at - this.now())));
		// An open socket keeps the process alive; a queue of closed ones' entries must not.
		this.timer.unref();
	}

	private fire(): void {
		this.timer = null;
		this.timerAt = Infinity;
		const now = this.now();
		while (this.head < this.dues.length && this.dues[this.head] <= now) {
			const waiter = this.waiters[this.head];
			const due = this.dues[this.head];
			this.head++;
			if (waiter.authDue === due) {
				waiter.authDue = 0;
				waiter.expire();
			}
		}
		// Drop the spent front now and then, not on every firing.
		if (this.head > 1024 && this.head * 2 > this.dues.length) {
			this.waiters.splice(0, this.head);
			this.dues.splice(0, this.head);
			this.head = 0;
		}
		if (this.head < this.dues.length) this.schedule(this.dues[this.head]);
	}
}

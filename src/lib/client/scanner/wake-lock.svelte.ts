/**
 * Car / screen-on mode: holds a Screen Wake Lock while wanted (listening, page visible) and lets it
 * go otherwise. The browser may refuse (unsupported, battery saver, not visible): `refusal` says
 * why, in words for the page.
 */
export class ScreenOn {
	held = $state(false);
	refusal = $state<string | null>(null);
	private sentinel: WakeLockSentinel | null = null;
	private wanted = false;

	/** Called whenever listening, car mode or visibility change. */
	async want(wanted: boolean) {
		this.wanted = wanted;
		if (!wanted) return this.release();
		if (this.sentinel) return;
		if (!('wakeLock' in navigator)) {
			this.refusal =
				'This browser cannot keep the screen on; set the screen timeout on the device.';
			return;
		}
		try {
			const sentinel = await navigator.wakeLock.request('screen');
			if (!this.wanted) return void sentinel.release();
			this.sentinel = sentinel;
			this.held = true;
			this.refusal = null;
			// The browser drops the lock itself when the page is hidden.
			sentinel.addEventListener('release', () => {
				if (this.sentinel === sentinel) {
					this.sentinel = null;
					this.held = false;
				}
			});
		} catch (err) {
			this.held = false;
			this.refusal = `The browser refused to keep the screen on (${(err as Error).message || (err as Error).name}). The screen may turn off; audio keeps playing.`;
		}
	}

	private async release() {
		const sentinel = this.sentinel;
		this.sentinel = null;
		this.held = false;
		await sentinel?.release().catch(() => undefined);
	}
}

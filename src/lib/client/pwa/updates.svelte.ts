/**
 * The service worker's life in the page: registers it (from this module, not an inline script, so
 * a strict CSP holds), notices when a newly deployed version is waiting, and on the user's word
 * activates it and reloads once.
 */
class AppUpdates {
	/** A new build is installed and waits for "Reload to update". */
	ready = $state(false);
	private registration: ServiceWorkerRegistration | null = null;
	private reloading = false;

	async register() {
		if (!('serviceWorker' in navigator)) return;
		try {
			const registration = await navigator.serviceWorker.register('/service-worker.js', {
				type: import.meta.env.DEV ? 'module' : 'classic'
			});
			this.registration = registration;
			if (registration.waiting && navigator.serviceWorker.controller) this.ready = true;
			registration.addEventListener('updatefound', () => {
				const worker = registration.installing;
				worker?.addEventListener('statechange', () => {
					// With no controller this is the first install, not an update.
					if (worker.state === 'installed' && navigator.serviceWorker.controller) this.ready = true;
				});
			});
			// Only a switch the user asked for reloads the page.
			navigator.serviceWorker.addEventListener('controllerchange', () => {
				if (this.reloading) location.reload();
			});
			// A tab left open for days still learns about a deploy.
			document.addEventListener('visibilitychange', () => {
				if (document.visibilityState === 'visible') void registration.update().catch(() => {});
			});
		} catch {
			// No service worker (private mode, insecure origin): the app works, only not offline.
		}
	}

	apply() {
		const waiting = this.registration?.waiting;
		if (!waiting) return location.reload();
		this.reloading = true;
		waiting.postMessage({ type: 'skip-waiting' });
	}
}

export const appUpdates = new AppUpdates();

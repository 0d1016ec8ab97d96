/** Chromium's install prompt event (not in TypeScript's DOM types). */
interface InstallPromptEvent extends Event {
	prompt(): Promise<void>;
	userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

/**
 * "Install app": Chromium browsers fire `beforeinstallprompt` when the app is installable; we keep
 * it and show our own button. Safari has no such event: iOS users add it from the Share menu, so
 * the page says that instead. Running installed (standalone), nothing is shown.
 */
class Install {
	prompt = $state<InstallPromptEvent | null>(null);
	standalone = $state(false);
	ios = $state(false);
	installed = $state(false);

	watch() {
		this.standalone =
			matchMedia('(display-mode: standalone)').matches ||
			(navigator as { standalone?: boolean }).standalone === true;
		this.ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
		addEventListener('beforeinstallprompt', (event) => {
			event.preventDefault();
			this.prompt = event as InstallPromptEvent;
		});
		addEventListener('appinstalled', () => {
			this.installed = true;
			this.prompt = null;
		});
	}

	async install() {
		const event = this.prompt;
		if (!event) return;
		await event.prompt();
		if ((await event.userChoice).outcome === 'accepted') this.installed = true;
		this.prompt = null;
	}
}

export const install = new Install();

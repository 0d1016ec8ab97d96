import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		// tRPC JSON POSTs are protected by SameSite=Strict cookies and CORS preflight; recorder
		// uploads are multipart from other machines and carry no cookie, so Kit's form-origin check
		// would refuse them (it also refuses a POST with no Origin at all). There are no form
		// actions; the Origin that matters is checked on the WebSocket upgrade.
		csrf: { checkOrigin: false },
		// Registered by src/lib/client/pwa/updates.svelte.ts (a module, not an inline script), which
		// also offers "Reload to update" when a new build is deployed.
		serviceWorker: { register: false },
		// Pages may run only the app's own scripts (Kit adds a nonce or hash for its inline start-up
		// script). Styles keep 'unsafe-inline' for Svelte's style attributes; they cannot run code.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'media-src': ['self', 'blob:'],
				'connect-src': ['self'],
				'font-src': ['self'],
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};

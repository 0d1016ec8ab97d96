/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/// <reference types="@sveltejs/kit" />
import { build, files, version } from '$service-worker';
import { installAlertHandlers } from '$lib/sw/alert-notifications';

/**
 * Caches the app shell only: this build's hashed files, the static files and the one HTML page
 * (every route renders in the browser, so one shell serves them all). API replies, audio and
 * tokens never enter a cache. Pages come from the network first, so an upgraded server is
 * never answered with an old build; the cached shell is only the offline fallback.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `squelch-shell-${version}`;
const SHELL = '/';
const ASSETS = new Set([...build, ...files, SHELL]);

sw.addEventListener('install', (event) => {
	event.waitUntil(
		caches
			.open(CACHE)
			.then((cache) =>
				cache.addAll([...ASSETS].map((url) => new Request(url, { cache: 'reload' })))
			)
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
			await sw.clients.claim();
		})()
	);
});

// A new version waits until the page asks ("Reload to update"), so no page runs two builds.
sw.addEventListener('message', (event) => {
	if (event.data?.type === 'skip-waiting') void sw.skipWaiting();
});

const neverCached = (url: URL) => url.pathname.startsWith('/api/');

sw.addEventListener('fetch', (event) => {
	const { request } = event;
	const url = new URL(request.url);
	if (request.method !== 'GET' || url.origin !== sw.location.origin || neverCached(url)) return;
	if (request.mode === 'navigate') {
		event.respondWith(
			fetch(request).catch(
				async () => (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error()
			)
		);
		return;
	}
	if (!ASSETS.has(url.pathname)) return;
	event.respondWith(
		caches.match(url.pathname, { cacheName: CACHE }).then((hit) => hit ?? fetch(request))
	);
});

// Alerts: `push` shows the notification, `notificationclick` opens the call (alert-notifications.ts).
installAlertHandlers(sw);

/**
 * Renders the app icons (static/icons/*.png) from the logo with Chromium, so the PNGs the
 * manifest names are real renders of one drawing. Run after changing the logo:
 * `npx tsx scripts/make-icons.ts`.
 */
import path from 'node:path';
import { chromium } from 'playwright-core';

const OUT = path.resolve(import.meta.dirname, '../static/icons');
const WAVE =
	'<path d="M6 20c3-8 5-8 7 0s4 8 7 0 4-8 6 0" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"/>';
/** "any": the rounded tile as in the favicon. */
const ROUNDED = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f766e"/>${WAVE}</svg>`;
/** "maskable" and Apple: full bleed, the wave inside the central 80% safe zone. */
const FULL = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" fill="#0f766e"/><g transform="translate(16 16) scale(0.7) translate(-16 -16)">${WAVE}</g></svg>`;

const ICONS: Array<[string, string, number]> = [
	['icon-192.png', ROUNDED, 192],
	['icon-512.png', ROUNDED, 512],
	['maskable-192.png', FULL, 192],
	['maskable-512.png', FULL, 512],
	['apple-touch-icon.png', FULL, 180]
];

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu']
});
try {
	for (const [name, svg, size] of ICONS) {
		const page = await browser.newPage({ viewport: { width: size, height: size } });
		await page.setContent(
			`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`
		);
		await page.screenshot({ path: path.join(OUT, name), omitBackground: true });
		await page.close();
	}
} finally {
	await browser.close();
}

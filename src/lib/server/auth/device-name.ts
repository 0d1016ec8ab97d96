import { UAParser } from 'ua-parser-js';

/** "Firefox on Android", "Safari on iPhone", "Chrome on Windows"; API clients by their own name. */
export function deviceName(userAgent: string): string {
	const ua = userAgent.trim();
	if (!ua) return 'Unknown device';
	const parsed = new UAParser(ua).getResult();
	const browser = parsed.browser.name?.replace(/^Mobile /, '');
	let os = parsed.os.name;
	const model = parsed.device.model;
	if (os === 'iOS' && model && /^(iPhone|iPad|iPod)/.test(model)) os = model.replace(/\s.*$/, '');
	else if (os === 'iOS') os = 'iPhone';
	else if (os === 'macOS' || os === 'Mac OS') os = 'Mac';
	if (browser && os) return `${browser} on ${os}`;
	if (browser) return browser;
	// Scripts and recorders: "node", "curl/8.5.0" → "node", "curl".
	const product = ua.split(/[\s/]/)[0];
	return os ? `${product} on ${os}` : product || 'Unknown device';
}

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'squelch-theme';

export function loadTheme(): ThemeChoice {
	const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
	return stored === 'light' || stored === 'dark' ? stored : 'system';
}

/**
 * Stores the device's choice and sets data-theme as the inline script in src/app.html does before
 * first paint ('system' resolved through prefers-color-scheme; that script follows its changes).
 */
export function applyTheme(choice: ThemeChoice) {
	localStorage.setItem(KEY, choice);
	document.documentElement.dataset.theme = choice === 'system' ? systemTheme() : choice;
}

function systemTheme(): 'light' | 'dark' {
	return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

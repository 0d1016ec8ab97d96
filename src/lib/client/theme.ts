export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'squelch-theme';

export function loadTheme(): ThemeChoice {
	const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null;
	return stored === 'light' || stored === 'dark' ? stored : 'system';
}

/** 'system' follows prefers-color-scheme through CSS; the others pin it. */
export function applyTheme(choice: ThemeChoice) {
	if (choice === 'system') delete document.documentElement.dataset.theme;
	else document.documentElement.dataset.theme = choice;
	localStorage.setItem(KEY, choice);
}

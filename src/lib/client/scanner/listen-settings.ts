/**
 * How this device listens: queue age limit, speed, catch-up speed-up, volume, car mode. Per
 * device (a phone in the car wants other settings than the desktop), in localStorage, checked
 * field by field on load so a hand-edited or old value falls back to its default.
 */
const KEY = 'squelch-listen';

export const MAX_AGES = [2, 5, 15, null] as const;
export type MaxAge = (typeof MAX_AGES)[number];
export const SPEEDS = [1, 1.25, 1.5, 1.75, 2] as const;

export interface ListenSettings {
	/** Queued calls older than this many minutes are dropped; null keeps every call. */
	maxAgeMinutes: MaxAge;
	speed: number;
	/** Play faster while more than `autoSpeedAbove` calls wait. */
	autoSpeed: boolean;
	autoSpeedAbove: number;
	autoSpeedRate: number;
	/** 0..1 */
	volume: number;
	carMode: boolean;
}

export const DEFAULT_SETTINGS: ListenSettings = {
	maxAgeMinutes: null,
	speed: 1,
	autoSpeed: false,
	autoSpeedAbove: 5,
	autoSpeedRate: 1.5,
	volume: 1,
	carMode: false
};

const inRange = (v: unknown, min: number, max: number): v is number =>
	typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

export function parseSettings(raw: unknown): ListenSettings {
	const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
	const d = DEFAULT_SETTINGS;
	return {
		maxAgeMinutes: (MAX_AGES as readonly unknown[]).includes(s.maxAgeMinutes)
			? (s.maxAgeMinutes as MaxAge)
			: d.maxAgeMinutes,
		speed: inRange(s.speed, 1, 2) ? s.speed : d.speed,
		autoSpeed: typeof s.autoSpeed === 'boolean' ? s.autoSpeed : d.autoSpeed,
		autoSpeedAbove:
			inRange(s.autoSpeedAbove, 1, 100) && Number.isInteger(s.autoSpeedAbove)
				? s.autoSpeedAbove
				: d.autoSpeedAbove,
		autoSpeedRate: inRange(s.autoSpeedRate, 1, 2) ? s.autoSpeedRate : d.autoSpeedRate,
		volume: inRange(s.volume, 0, 1) ? s.volume : d.volume,
		carMode: typeof s.carMode === 'boolean' ? s.carMode : d.carMode
	};
}

export function loadSettings(): ListenSettings {
	try {
		const raw = localStorage.getItem(KEY);
		// Bounded: a value this long was not written by us.
		return parseSettings(raw && raw.length < 2_000 ? JSON.parse(raw) : null);
	} catch {
		return { ...DEFAULT_SETTINGS };
	}
}

export function saveSettings(settings: ListenSettings): void {
	try {
		localStorage.setItem(KEY, JSON.stringify(settings));
	} catch {
		// Private mode or full storage: the settings last for this page only.
	}
}

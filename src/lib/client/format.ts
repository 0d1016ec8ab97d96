/** Small display helpers shared by the admin pages. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 52428800 → "50 MiB"; one decimal below 10 of a unit; from 1000 the next unit, so a number never has four digits. */
export function formatBytes(bytes: number): string {
	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1000 && unit < UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	const digits = unit === 0 || value >= 10 ? 0 : 1;
	return `${value.toFixed(digits).replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** 93784 → "1 d 2 h 3 min"; the two largest parts only; under a minute "42 s". */
export function formatDuration(seconds: number): string {
	const s = Math.max(0, Math.floor(seconds));
	if (s < 60) return `${s} s`;
	const parts: Array<[number, string]> = [
		[Math.floor(s / 86_400), 'd'],
		[Math.floor((s % 86_400) / 3_600), 'h'],
		[Math.floor((s % 3_600) / 60), 'min']
	];
	const first = parts.findIndex(([n]) => n > 0);
	return parts
		.slice(first, first + 2)
		.filter(([n]) => n > 0)
		.map(([n, u]) => `${n} ${u}`)
		.join(' ');
}

export function formatDateTime(d: Date | null | undefined): string {
	return d ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
}

export function formatTime(d: Date): string {
	return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A Date as the value of an `<input type="datetime-local">` (local time), or '' for none. */
export function toLocalInput(d: Date | null | undefined): string {
	if (!d) return '';
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an `<input type="datetime-local">` as a Date, or null when empty or invalid. */
export function fromLocalInput(value: string): Date | null {
	if (!value) return null;
	const d = new Date(value);
	return Number.isNaN(d.getTime()) ? null : d;
}

export function plural(n: number, one: string, many = `${one}s`): string {
	return `${n} ${n === 1 ? one : many}`;
}

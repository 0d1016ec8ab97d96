/**
 * `list` in consecutive slices of at most `size` items, for statements with one `in (…)` list or
 * multi-row `values` each: a statement's bound parameters stay far below SQLite's 32,766 and
 * PostgreSQL's 65,535, however long the list.
 */
export function chunks<T>(list: readonly T[], size: number): T[][] {
	if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size ${size}`);
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

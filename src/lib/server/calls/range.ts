/**
 * One HTTP byte range (RFC 9110 §14). Returns the inclusive range to send, 'unsatisfiable' (416),
 * or null to ignore the header and send the whole file (malformed, not bytes, or several ranges —
 * serving all is allowed, and audio players ask for one).
 */
export type ByteRange = { start: number; end: number };

export function parseRange(
	header: string | null | undefined,
	size: number
): ByteRange | 'unsatisfiable' | null {
	if (!header) return null;
	const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
	if (!match) return null;
	const [, first, last] = match;
	if (first === '' && last === '') return null;
	if (first === '') {
		// Suffix range: the last N bytes.
		const length = Number(last);
		if (length === 0 || size === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - length), end: size - 1 };
	}
	const start = Number(first);
	if (start >= size) return 'unsatisfiable';
	const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
	if (end < start) return null; // invalid range-spec: ignored, per RFC 9110
	return { start, end };
}

/**
 * Reading JSON-ish text that JSON.parse refused (Trunk-Recorder's unescaped `tag`), by hand and in
 * one pass: every helper here moves forward through the text and never revisits a character, so
 * hostile input costs time linear in its length (regular expressions with backtracking did not).
 */

/** `{...}` blocks (no nested braces), in order, at most `max` of them. */
export function objectBlocks(text: string, max: number): string[] {
	const blocks: string[] = [];
	let open = text.indexOf('{');
	while (open >= 0 && blocks.length < max) {
		let at = open + 1;
		while (at < text.length && text[at] !== '{' && text[at] !== '}') at++;
		if (at >= text.length) break;
		if (text[at] === '}') {
			blocks.push(text.slice(open, at + 1));
			open = text.indexOf('{', at + 1);
		} else open = at; // another `{` before a `}`: start again from it
	}
	return blocks;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

function skipSpace(text: string, at: number): number {
	while (at < text.length && /\s/.test(text[at])) at++;
	return at;
}

/** Where the value after each `"key":` starts, first to last. */
function* valueStarts(block: string, key: string): Generator<number> {
	const quoted = `"${key}"`;
	for (let at = block.indexOf(quoted); at >= 0; at = block.indexOf(quoted, at + 1)) {
		const colon = skipSpace(block, at + quoted.length);
		if (block[colon] === ':') yield skipSpace(block, colon + 1);
	}
}

/** The number after the first `"key":` that has one (optionally quoted), or null. */
export function numberAfter(block: string, key: string): number | null {
	for (let at of valueStarts(block, key)) {
		if (block[at] === '"') at++;
		NUMBER.lastIndex = at;
		const m = NUMBER.exec(block);
		if (m) return Number(m[0]);
	}
	return null;
}

/**
 * The string after `"tag":`, taken to the last quote of the block when only `}` or a comma and
 * unquoted text follow it: a tag with unescaped quotes inside is read whole.
 */
export function tagIn(block: string): string | null {
	const start = valueStarts(block, 'tag').next().value;
	if (start === undefined || block[start] !== '"') return null;
	const end = block.lastIndexOf('"');
	if (end <= start) return null;
	const rest = block.slice(end + 1).trimStart();
	if (rest !== '}' && !(rest.startsWith(',') && rest.endsWith('}'))) return null;
	return block.slice(start + 1, end).replace(/\\"/g, '"');
}

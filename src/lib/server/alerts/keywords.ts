/**
 * Keyword alert rules (docs/transcripts.md): a rule may name words or phrases; it is decided when
 * the call's transcript arrives, not at ingest. Matching is on whole words, ignoring case and
 * punctuation, so "fire" matches "Fire!" but not "firewall".
 */

/** Bounds on a rule's keywords (router schemas use the same numbers). */
export const MAX_KEYWORDS = 20;
export const MAX_KEYWORD_LENGTH = 100;

/** Lower-case words separated by single spaces, with a space at each end. */
function words(text: string): string {
	const found = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
	return found ? ` ${found.join(' ')} ` : ' ';
}

/** A keyword as stored: its words, or '' when it has none (dropped by the rule's checks). */
export const normaliseKeyword = (keyword: string) => words(keyword).trim();

/** The first keyword the transcript says, or null. Linear in the text per keyword. */
export function spokenKeyword(keywords: readonly string[], transcript: string): string | null {
	const text = words(transcript);
	for (const keyword of keywords) {
		const wanted = normaliseKeyword(keyword);
		if (wanted && text.includes(` ${wanted} `)) return keyword;
	}
	return null;
}

import { sql, type AliasedRawBuilder } from 'kysely';
import { isPostgres } from '../core/db/dialect';
import { ServiceError } from '../core/errors';
import type { DB } from '../core/db';

/** Full-text search over transcripts (docs/transcripts.md): one query shape, two dialects. */

/** Marks around a matched word in a highlight; stripped from stored text, so they are unambiguous. */
export const HIT_OPEN = '\uE000';
export const HIT_CLOSE = '\uE001';
export const MAX_QUERY_TERMS = 16;

/** A piece of a highlighted transcript: plain text, or a matched word. */
export type HighlightPart = { text: string; match: boolean };

/** The terms of a user's query: words, and "quoted phrases"; everything else is dropped. */
export function queryTerms(q: string): string[][] {
	const terms: string[][] = [];
	for (const token of q.match(/"[^"]*"|[^\s"]+/g) ?? []) {
		const words = token.match(/[\p{L}\p{N}]+/gu);
		if (words?.length) terms.push(words.map((w) => w.toLowerCase()));
		if (terms.length >= MAX_QUERY_TERMS) break;
	}
	if (!terms.length) throw new ServiceError('BAD_REQUEST', 'q: no words to search for');
	return terms;
}

/** Every term must appear; a phrase as a phrase. Quoted, so no word is read as an operator. */
const ftsQuery = (terms: string[][]) => terms.map((t) => `"${t.join(' ')}"`).join(' AND ');
/**
 * The same on PostgreSQL: each term a quoted websearch_to_tsquery (so `or` and `-` are words, not
 * operators; the terms hold only letters and digits), AND-ed together.
 */
const webQuery = (terms: string[][]) =>
	sql.join(
		terms.map((t) => sql`websearch_to_tsquery('english', ${`"${t.join(' ')}"`})`),
		sql` && `
	);

export type TextMatches = AliasedRawBuilder<
	{ call_id: number; rank: number; snippet: string },
	'm'
>;

/**
 * The calls whose transcript matches, as a table `m(call_id, rank, snippet)` to join: rank is
 * higher for a better match; snippet is the matching passage with HIT_OPEN/HIT_CLOSE around each
 * matched word. SQLite: FTS5 (bm25, snippet); PostgreSQL: to_tsvector, ts_rank, ts_headline.
 */
export function transcriptMatches(db: DB, q: string): TextMatches {
	// PostgreSQL's parser reads "-9984" in "14628d77-9984" as a signed number, which the english
	// configuration drops: hyphens become spaces before indexing (the expression of the
	// transcripts_tsv index), as FTS5's tokenizer splits on them.
	const terms = queryTerms(q);
	if (isPostgres(db)) {
		const options = `StartSel=${HIT_OPEN}, StopSel=${HIT_CLOSE}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
		return sql<{ call_id: number; rank: number; snippet: string }>`(
			select t.call_id, ts_rank(to_tsvector('english', translate(t.text, '-', ' ')), wq) as rank,
				ts_headline('english', t.text, wq, ${options}) as snippet
			from transcripts t, (select ${webQuery(terms)} as wq) q
			where to_tsvector('english', translate(t.text, '-', ' ')) @@ wq
		)`.as('m');
	}
	return sql<{ call_id: number; rank: number; snippet: string }>`(
		select rowid as call_id, -bm25(transcripts_fts) as rank,
			snippet(transcripts_fts, 0, ${HIT_OPEN}, ${HIT_CLOSE}, '…', 24) as snippet
		from transcripts_fts where transcripts_fts match ${ftsQuery(terms)}
	)`.as('m');
}

/** A snippet with hit marks, as parts the browser renders without HTML. */
export function highlightParts(snippet: string): HighlightPart[] {
	const parts: HighlightPart[] = [];
	let match = false;
	for (const piece of snippet.split(/([\uE000\uE001])/)) {
		if (piece === HIT_OPEN) match = true;
		else if (piece === HIT_CLOSE) match = false;
		else if (piece) parts.push({ text: piece, match });
	}
	return parts;
}

/** Text as stored: without the hit marks, so a highlight never shows a false one. */
export const withoutHitMarks = (text: string) => text.replace(/[\uE000\uE001]/g, '');

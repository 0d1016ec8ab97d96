import type { EngineSegment } from './engine';

/** A unit's transmission start in the call, as Trunk-Recorder sends it (`srcList` / `sources`). */
export interface SourcePosition {
	pos: number;
	src: number;
	tag?: string;
}

/** One line of a transcript: who spoke (when known) and what they said. */
export interface TranscriptLine {
	start: number;
	end: number;
	text: string;
	/** The radio id of the unit, or null when unknown. */
	unit: number | null;
	/** Its alias (the recorder's tag, else the admin's unit alias), or null. */
	alias: string | null;
}

/** Bounds a hostile or broken position list: at most this many sources are considered. */
const MAX_SOURCES = 500;

function usable(sources: readonly SourcePosition[]): SourcePosition[] {
	return sources
		.slice(0, MAX_SOURCES)
		.filter((s) => Number.isFinite(s.pos) && s.pos >= 0 && Number.isSafeInteger(s.src))
		.sort((a, b) => a.pos - b.pos);
}

/**
 * Who said what: each unit holds the air from its `pos` to the next unit's. A segment goes to
 * the unit whose span it overlaps most (ties: the earlier unit), and neighbouring segments of the
 * same unit are joined into one line. Without positions (no sources), the transcript is one
 * block with no unit. Linear after the sort: segments and spans are both walked in time order.
 */
export function alignSegments(
	segments: readonly EngineSegment[],
	sources: readonly SourcePosition[],
	aliases: ReadonlyMap<number, string> = new Map()
): TranscriptLine[] {
	const spans = usable(sources);
	const ordered = [...segments].filter((s) => s.text.trim()).sort((a, b) => a.start - b.start);
	if (!ordered.length) return [];
	if (!spans.length) {
		return [
			{
				start: ordered[0].start,
				end: Math.max(...ordered.map((s) => s.end)),
				text: ordered.map((s) => s.text.trim()).join(' '),
				unit: null,
				alias: null
			}
		];
	}
	const lines: TranscriptLine[] = [];
	let first = 0;
	for (const seg of ordered) {
		// Spans wholly before this segment cannot own it nor any later one.
		while (first + 1 < spans.length && spans[first + 1].pos <= seg.start) first++;
		let best = first;
		let bestOverlap = -1;
		for (
			let i = first;
			i < spans.length && spans[i].pos < Math.max(seg.end, seg.start + 1e-9);
			i++
		) {
			const from = Math.max(seg.start, spans[i].pos);
			const to = Math.min(seg.end, i + 1 < spans.length ? spans[i + 1].pos : Infinity);
			if (to - from > bestOverlap) {
				bestOverlap = to - from;
				best = i;
			}
		}
		const owner = spans[best];
		const text = seg.text.trim();
		const last = lines[lines.length - 1];
		if (last && last.unit === owner.src) {
			last.text = `${last.text} ${text}`;
			last.end = Math.max(last.end, seg.end);
		} else {
			lines.push({
				start: seg.start,
				end: seg.end,
				text,
				unit: owner.src,
				alias: owner.tag?.trim() || aliases.get(owner.src) || null
			});
		}
	}
	return lines;
}

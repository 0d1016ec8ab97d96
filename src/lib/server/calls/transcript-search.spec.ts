import { describe, expect, it } from 'vitest';
import { storeCall } from './ingest';
import { searchCalls } from './search';
import { incomingCall } from './test-support';
import { highlightParts, queryTerms } from './transcript-search';
import { testServices } from '../testing';

const ALL = { all: true } as const;

const SPOKEN = [
	'Engine 5 responding to a structure fire at 5th and Main.',
	'Structure fire reported, the structure is fully involved, second alarm structure fire.',
	'Medical call, fire department assist requested.',
	'Traffic stop on Route 9, plate to follow.'
];

/** Four calls with transcripts, written as the transcripts feature stores them. */
async function seeded() {
	const deps = await testServices({}, { now: Date.UTC(2024, 5, 15, 12) });
	const ids: number[] = [];
	for (const [i, text] of SPOKEN.entries()) {
		const stored = await storeCall(
			deps,
			incomingCall(deps.config.recordingsDir, { dateTime: Date.UTC(2024, 5, 15, 10, i) }),
			0
		);
		if (stored.status !== 'stored') throw new Error(stored.status);
		ids.push(stored.callId);
		await deps.db
			.insertInto('transcripts')
			.values({
				call_id: stored.callId,
				text,
				segments: JSON.stringify([{ start: 0, end: 2, text, unit: null, alias: null }]),
				language: 'en',
				engine: 'test',
				model: 'test',
				audio_seconds: 2,
				elapsed_ms: 100,
				created_at: 0
			})
			.execute();
	}
	const search = async (q: string, more: { limit?: number; cursor?: string | null } = {}) =>
		searchCalls(deps.db, ALL, null, { limit: more.limit ?? 50, cursor: more.cursor, q });
	return { deps, ids, search };
}

describe('transcript search', () => {
	it('finds every word, ranks the call that says it most first, and marks the matched words', async () => {
		const { ids, search } = await seeded();
		const found = await search('structure fire');
		expect(found.items.map((c) => c.id)).toEqual([ids[1], ids[0]]);
		const parts = found.items[1].highlight ?? [];
		expect(parts.filter((p) => p.match).map((p) => p.text.toLowerCase())).toEqual([
			'structure',
			'fire'
		]);
		// A passage of what was said (PostgreSQL's headline drops a final full stop).
		const passage = parts.map((p) => p.text).join('');
		expect(SPOKEN[0]).toContain(passage);
		expect(passage).toContain('structure fire at 5th and Main');
		expect(found.items[0].transcript?.text).toBe(SPOKEN[1]);
	});

	it('matches stems, phrases, and words in any case; a word nobody said finds nothing', async () => {
		const { ids, search } = await seeded();
		expect((await search('RESPOND')).items.map((c) => c.id)).toEqual([ids[0]]);
		expect((await search('"fire department"')).items.map((c) => c.id)).toEqual([ids[2]]);
		expect((await search('"department fire"')).items).toEqual([]);
		expect((await search('fire')).items.map((c) => c.id).sort()).toEqual(ids.slice(0, 3).sort());
		expect((await search('helicopter')).items).toEqual([]);
	});

	it('reads search syntax as plain words, and refuses a query without any', async () => {
		const { search } = await seeded();
		expect((await search('fire OR NEAR(traffic) *')).items).toEqual([]);
		expect((await search('traffic)) ^(stop*')).items).toHaveLength(1);
		await expect(search('"*" -- ()')).rejects.toThrow('q: no words to search for');
	});

	it('pages a ranked result by position', async () => {
		const { search } = await seeded();
		const all = (await search('fire')).items.map((c) => c.id);
		const first = await search('fire', { limit: 2 });
		const second = await search('fire', { limit: 2, cursor: first.nextCursor });
		expect([...first.items, ...second.items].map((c) => c.id)).toEqual(all);
		expect(second.nextCursor).toBeNull();
	});

	it('keeps the index in step when a transcript is replaced or its call deleted', async () => {
		const { deps, ids, search } = await seeded();
		await deps.db
			.updateTable('transcripts')
			.set({ text: 'Ladder 3 cancel, units clear.' })
			.where('call_id', '=', ids[0])
			.execute();
		expect((await search('structure')).items.map((c) => c.id)).toEqual([ids[1]]);
		expect((await search('ladder')).items.map((c) => c.id)).toEqual([ids[0]]);
		await deps.db.deleteFrom('calls').where('id', '=', ids[1]).execute();
		expect((await search('structure')).items).toEqual([]);
	});
});

describe('query terms and highlights', () => {
	it('bounds the terms and splits marked snippets', () => {
		expect(queryTerms('"Engine 5" on scene')).toEqual([['engine', '5'], ['on'], ['scene']]);
		expect(queryTerms('a '.repeat(100))).toHaveLength(16);
		expect(highlightParts('a \uE000fire\uE001 b')).toEqual([
			{ text: 'a ', match: false },
			{ text: 'fire', match: true },
			{ text: ' b', match: false }
		]);
	});
});

/**
 * What a recorder upload may carry (documented in docs/recorders.md, "Limits"). Real recorders send
 * about twenty short fields; the three JSON lists grow with a call's length but stay far below
 * these bounds (250 transmissions of a unit with a tag is about 15 KiB of `sources`).
 */

/** Text fields per upload (Trunk-Recorder sends 17, SDRTrunk 12); more is refused (413). */
export const MAX_FIELDS = 50;
/** Parts of any kind (fields and files) busboy reads before it stops. */
export const MAX_PARTS = MAX_FIELDS + 4;

/** Bytes of the JSON list fields; over it is refused (413). */
export const MAX_LIST_FIELD_BYTES = 64 * 1024;
/** Bytes of every other field we read; over it is refused (413). */
export const MAX_TEXT_FIELD_BYTES = 1024;
const LIST_FIELDS = new Set(['sources', 'frequencies', 'patches']);

/** The fields the upload endpoint reads; others are counted and their values dropped unread. */
export const KNOWN_FIELDS = new Set([
	...LIST_FIELDS,
	'key',
	'test',
	'system',
	'systemLabel',
	'talkgroup',
	'talkgroupLabel',
	'talkgroupName',
	'talkgroupGroup',
	'talkgroupTag',
	'dateTime',
	'timestamp',
	'frequency',
	'source',
	'talkerAlias',
	'audioName',
	'audioType',
	'audioMime',
	'emergency'
]);

export function fieldByteLimit(name: string): number {
	return LIST_FIELDS.has(name) ? MAX_LIST_FIELD_BYTES : MAX_TEXT_FIELD_BYTES;
}

/** Entries kept of `sources` and `frequencies` (the rest are dropped), and of `patches`. */
export const MAX_LIST_ENTRIES = 250;
export const MAX_PATCHES = 100;
/** Characters kept of a label (talkgroup and system names) and of a unit's tag. */
export const MAX_LABEL_CHARS = 200;
export const MAX_TAG_CHARS = 100;
/** Stored JSON of `sources` and of `frequencies`, each: what every listener is sent per call. */
export const MAX_LIST_JSON_BYTES = 32 * 1024;

import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Times are epoch milliseconds (INTEGER); booleans are 0/1; JSON columns are TEXT. */

export type Role = 'admin' | 'listener';

export interface UsersTable {
	id: Generated<number>;
	username: string;
	password_hash: string;
	role: Role;
	disabled: Generated<number>;
	/** Account expiry, or null for none. */
	expires_at: number | null;
	must_change_password: Generated<number>;
	/** 1: may hear every system (admins always do); 0: only what user_access grants. */
	access_all: Generated<number>;
	/** 1: hears delayed calls at once (admins always do). */
	delay_exempt: Generated<number>;
	created_at: number;
	updated_at: number;
}

/** A grant: a whole system (talkgroup_id null) or one talkgroup. Fails closed when absent. */
export interface UserAccessTable {
	user_id: number;
	system_id: number;
	talkgroup_id: number | null;
}

export type RevokeReason = 'logout' | 'cap' | 'admin' | 'password' | 'reuse' | 'disabled';

/** One signed-in device: the refresh-token family. */
export interface SessionsTable {
	id: string;
	user_id: number;
	device: string;
	user_agent: string;
	ip: string;
	remember_me: number;
	created_at: number;
	last_used_at: number;
	/** Sliding refresh expiry. */
	expires_at: number;
	/** SHA-256 (hex) of the current refresh token. */
	refresh_hash: string;
	/** SHA-256 of the token it replaced, accepted again during the grace window. */
	prev_refresh_hash: string | null;
	/** How many times the family has rotated: the current token's index in its chain. */
	rotation: Generated<number>;
	rotated_at: number;
	revoked_at: number | null;
	revoke_reason: RevokeReason | null;
}

export interface SecretsTable {
	name: string;
	value: string;
	created_at: number;
}

export interface SettingsTable {
	key: string;
	/** JSON. */
	value: string;
	updated_at: number;
}

/** The persisted admin event log that admin.events streams. */
export interface EventsTable {
	id: Generated<number>;
	at: number;
	type: string;
	user_id: number | null;
	/** JSON object with the rest of the event. */
	data: string;
}

export interface ApiKeysTable {
	id: Generated<number>;
	name: string;
	/** SHA-256 (hex) of the key; the key itself is shown once. */
	key_hash: string;
	/** First characters of the key, to tell keys apart in lists. */
	key_prefix: string;
	/** JSON array of radio system ids this key may upload to, or null for all. */
	systems: string | null;
	/** Uploads per minute, or null for the default. */
	rate_limit: number | null;
	disabled: Generated<number>;
	created_at: number;
	last_used_at: number | null;
}

export interface SystemsTable {
	id: Generated<number>;
	/** The radio system's own number, as the recorder sends it. */
	system_ref: number;
	label: string;
	auto_populate: Generated<number>;
	/** Broadcast delay, minutes (the longer of system and talkgroup wins). */
	delay_minutes: Generated<number>;
	sort_order: Generated<number>;
	created_at: number;
}

export interface TalkgroupsTable {
	id: Generated<number>;
	system_id: number;
	/** The talkgroup's own number. */
	talkgroup_ref: number;
	label: string;
	name: string;
	group_name: string;
	tag: string;
	sort_order: Generated<number>;
	created_at: number;
	/** Trunk-Recorder CSV "Mode" (A, D, M, T, with e/E for encryption); '' when unknown. */
	mode: Generated<string>;
	/** Trunk-Recorder CSV "Priority", or null when the file had none. */
	priority: number | null;
	/** Broadcast delay, minutes. */
	delay_minutes: Generated<number>;
}

export interface UnitsTable {
	id: Generated<number>;
	system_id: number;
	unit_ref: number;
	alias: string;
	created_at: number;
}

export interface CallsTable {
	id: Generated<number>;
	system_id: number;
	talkgroup_id: number;
	/** When the call started, epoch ms. */
	date_time: number;
	/** Hz. */
	frequency: number | null;
	/** Seconds, read from the audio. */
	duration: number;
	/** Relative to DATA_DIR/recordings; never taken from user input. */
	audio_path: string;
	audio_type: string;
	audio_size: number;
	audio_name: string;
	/** The first unit heard, if any. */
	source: number | null;
	/** JSON arrays, as sent (sanitised). */
	frequencies: string;
	sources: string;
	patches: string;
	api_key_id: number | null;
	created_at: number;
	/** When the audio became final (encoded, or kept as received); null while an encode is pending. */
	ready_at: number | null;
	/** When listeners who are not delay-exempt may hear it. */
	due_at: Generated<number>;
	/** When it was published to them (null until then). */
	public_at: number | null;
	/** The file as received, when kept. */
	original_path: string | null;
	/** Bytes as received, when the stored file is an encode. */
	original_size: number | null;
	/** 0/1: the recorder flagged it as an emergency. */
	emergency: Generated<number>;
}

/** The audio pipeline's outbox: one row per call whose audio is still to be encoded. */
export interface AudioJobsTable {
	call_id: number;
	attempts: Generated<number>;
	run_after: number;
	created_at: number;
	/** The instance working on the row, until claimed_until (ms); null when nobody is. */
	claimed_by: Generated<string | null>;
	claimed_until: Generated<number | null>;
}

export type Audience = 'all' | 'exempt' | 'public';

/** Append-only: each time a call becomes audible to an audience (the live feed's sequence). */
export interface CallPublicationsTable {
	seq: Generated<number>;
	call_id: number;
	audience: Audience;
	published_at: number;
	/** `call`: the call became audible; `transcript`: its transcript arrived (an update). */
	kind: Generated<PublicationKind>;
}

export type PublicationKind = 'call' | 'transcript';

/** One transcribed call (transcripts/); searched through transcripts_fts or to_tsvector. */
export interface TranscriptsTable {
	call_id: number;
	text: string;
	/** JSON: [{ start, end, text, unit }]. */
	segments: string;
	language: string | null;
	engine: string;
	model: string;
	audio_seconds: number;
	elapsed_ms: number;
	created_at: number;
}

/** The transcript queue has looked at call publications up to this seq. */
export interface TranscriptCursorTable {
	id: number;
	seq: number;
}

/** Each failed engine request (the dashboard's failures per hour); pruned after a week. */
export interface TranscriptFailuresTable {
	id: Generated<number>;
	call_id: number;
	at: number;
	error: string;
}

export interface BookmarksTable {
	user_id: number;
	call_id: number;
	created_at: number;
}

/** A talkgroup a user turned off in the scanner (radio numbers, so it survives re-imports). */
export interface ScannerMutedTable {
	user_id: number;
	system_ref: number;
	talkgroup_ref: number;
	created_at: number;
}

/** A public link to one call or an incident (share/links.ts). */
export interface ShareLinksTable {
	id: Generated<number>;
	/** 128 random bits, base64url; kept as-is so its owner can copy and revoke it (README). */
	token: string;
	user_id: number;
	kind: 'call' | 'incident';
	/** Talkgroup label(s), for the page and its preview. */
	title: string;
	/** The first and last shared call's time, epoch ms. */
	from_ms: number;
	to_ms: number;
	created_at: number;
	/** Null: never expires. */
	expires_at: number | null;
	revoked_at: number | null;
	views: Generated<number>;
	last_viewed_at: number | null;
}

/** The calls a link shows, fixed when it was made. */
export interface ShareLinkCallsTable {
	link_id: number;
	call_id: number;
}

/** Work decided now and done later (core/outbox.ts). */
export interface OutboxTable {
	id: Generated<number>;
	kind: string;
	lane: string;
	/** Unique per kind: the same work is never queued twice. */
	ref: string;
	/** JSON. */
	payload: Generated<string>;
	created_at: number;
	attempts: Generated<number>;
	next_at: number;
	last_error: string | null;
	done_at: number | null;
	gave_up_at: number | null;
	/** The instance working on the row, until claimed_until (ms); null when nobody is. */
	claimed_by: Generated<string | null>;
	claimed_until: Generated<number | null>;
}

/** Another rdio-compatible server that receives a copy of each stored call (forward/). */
export interface ForwardTargetsTable {
	id: Generated<number>;
	name: string;
	/** Base URL; calls go to {url}/api/call-upload. */
	url: string;
	api_key: string;
	/** JSON arrays of radio numbers, or null for all. */
	systems: string | null;
	talkgroups: string | null;
	/** JSON objects: our radio number → theirs. */
	system_map: Generated<string>;
	talkgroup_map: Generated<string>;
	enabled: Generated<number>;
	queued_through: number;
	created_at: number;
	last_success_at: number | null;
	last_error: string | null;
	last_error_at: number | null;
}

/** A recorder file (pair) folder ingest has handled; keyed by the audio file's path. */
export interface FolderIngestedTable {
	path: string;
	size: number;
	mtime_ms: number;
	/** The HTTP status handleUpload answered (200 stored/duplicate), or 400 for a bad sidecar. */
	status: number;
	reply: string;
	at: number;
}

/** A folder an admin set up for folder ingest (calls/watch-folders.ts). */
export interface WatchFoldersTable {
	id: Generated<number>;
	path: string;
	format: 'trunk-recorder' | 'sdrtrunk';
	system_ref: number;
	api_key_id: number | null;
	mode: 'leave' | 'move';
	enabled: Generated<number>;
	created_at: number;
	updated_at: number;
}

/** One retired refresh token in every CHECKPOINT_EVERY of a family (auth/sessions.ts). */
export interface RefreshCheckpointsTable {
	token_hash: string;
	session_id: string;
	rotation: number;
}

/** A user's alert rule (alerts/rules.ts). */
export interface AlertRulesTable {
	id: Generated<number>;
	user_id: number;
	name: string;
	/** JSON RuleMatch. */
	match: string;
	sound: Generated<string>;
	cooldown_seconds: number;
	/** JSON QuietHours or null. */
	quiet_hours: string | null;
	created_at: number;
	updated_at: number;
}

/** An alert a rule raised for a stored call: the in-page feed and the push decision. */
export interface AlertsTable {
	id: Generated<number>;
	user_id: number;
	rule_id: number;
	call_id: number;
	at: number;
	suppressed: Generated<number>;
	/** JSON AlertPayload. */
	data: string;
}

/** One row (id 1): the last call id the alert decision has handled. */
export interface AlertCursorTable {
	id: number;
	call_id: number;
}

/** A browser's Web Push subscription, owned by one session (device). */
export interface PushSubscriptionsTable {
	id: Generated<number>;
	session_id: string;
	user_id: number;
	endpoint: string;
	p256dh: string;
	auth: string;
	created_at: number;
}

/** The cool-down of one rule on one talkgroup (alerts/limits.ts). */
export interface AlertCooldownsTable {
	user_id: number;
	rule_id: number;
	talkgroup_id: number;
	/** When its last alert went out, epoch ms; 0: never. */
	last_at: number;
	/** Alerts held back since then. */
	suppressed: Generated<number>;
	/** What the last alert folded in (read back by the claim). */
	carried: Generated<number>;
}

/** A user's per-minute alert cap: the current window. */
export interface AlertMinutesTable {
	user_id: number;
	window_start: number;
	count: number;
}

/** Login throttle counters (auth/throttle.ts), one row per `ip:…` or `user:…` key. */
export interface LoginAttemptsTable {
	key: string;
	/** Attempts counted in the window that started at window_start (epoch ms). */
	failures: number;
	window_start: number;
	last_at: number;
	/** How long after last_at the next attempt may run; 0 while under the free allowance. */
	delay_ms: number;
}

/** Running Squelch processes on this database; one whose heartbeat is older than the TTL is gone. */
export interface InstancesTable {
	id: string;
	started_at: number;
	heartbeat_at: number;
}

/** Sessions listening live, per instance (live/presence.ts). */
export interface PresenceTable {
	instance_id: string;
	session_key: string;
}

export interface Database {
	login_attempts: LoginAttemptsTable;
	instances: InstancesTable;
	presence: PresenceTable;
	alert_cooldowns: AlertCooldownsTable;
	alert_minutes: AlertMinutesTable;
	alert_rules: AlertRulesTable;
	alerts: AlertsTable;
	alert_cursor: AlertCursorTable;
	push_subscriptions: PushSubscriptionsTable;
	users: UsersTable;
	refresh_checkpoints: RefreshCheckpointsTable;
	user_access: UserAccessTable;
	sessions: SessionsTable;
	secrets: SecretsTable;
	settings: SettingsTable;
	events: EventsTable;
	api_keys: ApiKeysTable;
	systems: SystemsTable;
	talkgroups: TalkgroupsTable;
	units: UnitsTable;
	calls: CallsTable;
	bookmarks: BookmarksTable;
	scanner_muted: ScannerMutedTable;
	audio_jobs: AudioJobsTable;
	call_publications: CallPublicationsTable;
	share_links: ShareLinksTable;
	share_link_calls: ShareLinkCallsTable;
	outbox: OutboxTable;
	forward_targets: ForwardTargetsTable;
	folder_ingested: FolderIngestedTable;
	watch_folders: WatchFoldersTable;
	transcripts: TranscriptsTable;
	transcript_cursor: TranscriptCursorTable;
	transcript_failures: TranscriptFailuresTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Session = Selectable<SessionsTable>;
export type CallRow = Selectable<CallsTable>;

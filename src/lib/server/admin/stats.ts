import { sql } from 'kysely';
import type { Clock } from '../core/clock';
import type { DB } from '../core/db';
import { isPostgres } from '../core/db/dialect';
import type { Passwords } from '../auth/passwords';
import { alertCounts, type AlertCount } from '../alerts/stats';

/**
 * The admin dashboard's numbers. Calls are counted by when they were recorded (`date_time`).
 * "Today" and "this week" are in UTC: today starts at 00:00 UTC, the week on Monday 00:00 UTC
 * (ISO weeks); the boundaries are returned so the page can say so.
 */
export interface StatsDeps {
	db: DB;
	clock: Clock;
	presence: { count(): number };
	startedAt: number;
	pipeline: { ffmpeg: { version: string } | null; queueLength(): Promise<number> };
	config: { ffmpegPath: string | null };
	passwords: Pick<Passwords, 'queue'>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Dashboard {
	calls: { today: number; thisWeek: number; total: number };
	todayStartsAt: Date;
	weekStartsAt: Date;
	activeListeners: number;
	startedAt: Date;
	uptimeSec: number;
	storage: { audioBytes: number; databaseBytes: number; totalBytes: number };
	/** The audio pipeline (docs/audio.md). */
	audio: {
		/** FFmpeg's version, or null when it is missing or turned off (see `notice`). */
		ffmpeg: string | null;
		notice: string | null;
		/** Encodes waiting or running. */
		queueLength: number;
		encodedCalls: number;
		/** Bytes as received minus bytes stored, over encoded calls whose original was not kept. */
		savedBytes: number;
	};
	/** Password hashing since start: the most run at once, and checks refused as busy. */
	passwordChecks: { peakRunning: number; refusedBusy: number };
	/** 24 hourly buckets, oldest first; the last is the current (partial) hour. */
	activity: {
		hours: Date[];
		systems: Array<{
			id: number;
			systemRef: number;
			label: string;
			counts: number[];
			total: number;
		}>;
	};
	/** Alerts raised and push failures per user, last 24 hours. */
	alerts: AlertCount[];
	/** The ten talkgroups with the most calls in the last 24 hours. */
	busiestTalkgroups: Array<{
		id: number;
		talkgroupRef: number;
		label: string;
		name: string;
		system: { id: number; systemRef: number; label: string };
		calls: number;
	}>;
}

export function startOfUtcDay(ms: number): number {
	return Math.floor(ms / DAY) * DAY;
}

/** Monday 00:00 UTC of the week containing `ms`. */
export function startOfUtcWeek(ms: number): number {
	const day = startOfUtcDay(ms);
	const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
	return day - weekday * DAY;
}

async function countSince(db: DB, since: number | null): Promise<number> {
	let query = db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n'));
	if (since !== null) query = query.where('date_time', '>=', since);
	return Number((await query.executeTakeFirstOrThrow()).n);
}

/**
 * The database's own size: SQLite's pages × page size (the main file, whatever its path);
 * PostgreSQL's pg_database_size (needs only CONNECT on the database).
 */
async function databaseSize(db: DB): Promise<number> {
	const query = isPostgres(db)
		? sql<{ bytes: number }>`select pg_database_size(current_database()) as bytes`
		: sql<{
				bytes: number;
			}>`select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()`;
	return Number((await query.execute(db)).rows[0]?.bytes ?? 0);
}

export async function dashboard(deps: StatsDeps): Promise<Dashboard> {
	const now = deps.clock.now();
	const todayStart = startOfUtcDay(now);
	const weekStart = startOfUtcWeek(now);
	const firstHour = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
	const end = firstHour + 24 * HOUR;

	const [today, thisWeek, total] = await Promise.all([
		countSince(deps.db, todayStart),
		countSince(deps.db, weekStart),
		countSince(deps.db, null)
	]);

	const audio = await deps.db
		.selectFrom('calls')
		.select([
			sql<number>`coalesce(sum(audio_size), 0) + coalesce(sum(case when original_path is not null then original_size end), 0)`.as(
				'bytes'
			),
			sql<number>`count(original_size)`.as('encoded'),
			sql<number>`coalesce(sum(case when original_path is null then original_size - audio_size end), 0)`.as(
				'saved'
			)
		])
		.executeTakeFirstOrThrow();
	const audioBytes = Number(audio.bytes);
	const databaseBytes = await databaseSize(deps.db);

	const perHour = await deps.db
		.selectFrom('calls')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.select([
			'systems.id',
			'systems.system_ref',
			'systems.label',
			// Bound numbers arrive as REAL: cast, so each hour is one integer bucket.
			sql<number>`cast((calls.date_time - ${firstHour}) / ${HOUR} as integer)`.as('bucket'),
			(eb) => eb.fn.countAll<number>().as('n')
		])
		.where('calls.date_time', '>=', firstHour)
		.where('calls.date_time', '<', end)
		.groupBy(['systems.id', 'bucket'])
		.execute();
	const systems = new Map<number, Dashboard['activity']['systems'][number]>();
	for (const row of perHour) {
		let entry = systems.get(row.id);
		if (!entry)
			systems.set(
				row.id,
				(entry = {
					id: row.id,
					systemRef: row.system_ref,
					label: row.label,
					counts: Array(24).fill(0),
					total: 0
				})
			);
		entry.counts[Number(row.bucket)] += Number(row.n);
		entry.total += Number(row.n);
	}

	const busiest = await deps.db
		.selectFrom('calls')
		.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.select([
			'talkgroups.id',
			'talkgroups.talkgroup_ref',
			'talkgroups.label',
			'talkgroups.name',
			'systems.id as system_id',
			'systems.system_ref',
			'systems.label as system_label',
			(eb) => eb.fn.countAll<number>().as('n')
		])
		.where('calls.date_time', '>=', now - DAY)
		.where('calls.date_time', '<=', now)
		// Both keys: PostgreSQL wants every selected column's table grouped (by its primary key).
		.groupBy(['talkgroups.id', 'systems.id'])
		.orderBy('n', 'desc')
		.orderBy('talkgroups.id')
		.limit(10)
		.execute();

	return {
		calls: { today, thisWeek, total },
		todayStartsAt: new Date(todayStart),
		weekStartsAt: new Date(weekStart),
		activeListeners: deps.presence.count(),
		startedAt: new Date(deps.startedAt),
		uptimeSec: Math.max(0, Math.floor((now - deps.startedAt) / 1000)),
		storage: { audioBytes, databaseBytes, totalBytes: audioBytes + databaseBytes },
		audio: {
			ffmpeg: deps.pipeline.ffmpeg?.version ?? null,
			notice: deps.pipeline.ffmpeg
				? null
				: deps.config.ffmpegPath === null
					? 'The audio pipeline is off (FFMPEG_PATH=off): calls are stored as received.'
					: 'FFmpeg was not found (FFMPEG_PATH or "ffmpeg" on PATH): calls are stored as received. Install it with "apt-get install ffmpeg" and restart.',
			queueLength: await deps.pipeline.queueLength(),
			encodedCalls: Number(audio.encoded),
			savedBytes: Number(audio.saved)
		},
		passwordChecks: {
			peakRunning: deps.passwords.queue.peak,
			refusedBusy: deps.passwords.queue.refused
		},
		activity: {
			hours: Array.from({ length: 24 }, (_, i) => new Date(firstHour + i * HOUR)),
			systems: [...systems.values()].sort((a, b) => b.total - a.total || a.systemRef - b.systemRef)
		},
		alerts: await alertCounts(deps.db, now - DAY),
		busiestTalkgroups: busiest.map((r) => ({
			id: r.id,
			talkgroupRef: r.talkgroup_ref,
			label: r.label,
			name: r.name,
			system: { id: r.system_id, systemRef: r.system_ref, label: r.system_label },
			calls: Number(r.n)
		}))
	};
}

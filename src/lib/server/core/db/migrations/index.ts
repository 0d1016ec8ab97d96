import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_init';
import * as m0003admin from './0003_admin_talkgroup_csv';
import * as m0004scanner from './0004_scanner_selection';
import * as m0005refresh from './0005_refresh_checkpoints';
import * as m0006audio from './0006_audio_pipeline';
import * as m0007share from './0007_share_links';
import * as m0008forward from './0008_forward_outbox';
import * as m0009folder from './0009_folder_ingest';
import * as m0010alerts from './0010_alerts';
import * as m0011shared from './0011_shared_state';
import * as m0012alerts from './0012_alerts_durable';
import * as m0013transcripts from './0013_transcripts';
import * as m0014watch from './0014_watch_folders';
import * as m0016claims from './0016_work_claims';

/**
 * Migrations are listed here rather than read from a folder, so the bundled production build
 * (which has no migration files on disk) and `npm run migrate` run the same set. Add new ones in order.
 */
const migrations: Record<string, Migration> = {
	'0001_init': m0001,
	'0003_admin_talkgroup_csv': m0003admin,
	'0004_scanner_selection': m0004scanner,
	'0005_refresh_checkpoints': m0005refresh,
	'0006_audio_pipeline': m0006audio,
	'0007_share_links': m0007share,
	'0008_forward_outbox': m0008forward,
	'0009_folder_ingest': m0009folder,
	'0010_alerts': m0010alerts,
	'0011_shared_state': m0011shared,
	'0012_alerts_durable': m0012alerts,
	'0013_transcripts': m0013transcripts,
	'0014_watch_folders': m0014watch,
	'0016_work_claims': m0016claims
};

export const migrationProvider: MigrationProvider = {
	getMigrations: async () => migrations
};

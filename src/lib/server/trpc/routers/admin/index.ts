import { router } from '../../init';
import { adminUsersRouter } from './users';
import { adminApiKeysRouter } from './apiKeys';
import { adminSessionsRouter } from './sessions';
import { adminSystemsRouter, adminTalkgroupsRouter, adminUnitsRouter } from './systems';
import { adminSettingsRouter } from './settings';
import { adminStatsRouter } from './stats';
import { adminEventsProcedure } from './events';
import { adminDelaysRouter } from './delays';
import { adminSharesRouter } from '../share';
import { adminForwardRouter } from './forward';
import { adminWatchFoldersRouter } from './watchFolders';
import { adminTranscriptsRouter } from './transcripts';

export const adminRouter = router({
	users: adminUsersRouter,
	apiKeys: adminApiKeysRouter,
	sessions: adminSessionsRouter,
	systems: adminSystemsRouter,
	talkgroups: adminTalkgroupsRouter,
	units: adminUnitsRouter,
	settings: adminSettingsRouter,
	stats: adminStatsRouter,
	events: adminEventsProcedure,
	delays: adminDelaysRouter,
	shares: adminSharesRouter,
	forward: adminForwardRouter,
	watchFolders: adminWatchFoldersRouter,
	transcripts: adminTranscriptsRouter
});

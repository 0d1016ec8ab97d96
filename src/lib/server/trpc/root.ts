import { router } from './init';
import { setupRouter } from './routers/setup';
import { authRouter } from './routers/auth';
import { sessionsRouter } from './routers/sessions';
import { adminRouter } from './routers/admin';
import { liveRouter } from './routers/live';
import { callsRouter } from './routers/calls';
import { scannerRouter } from './routers/scanner';
import { alertsRouter } from './routers/alerts';
import { shareRouter } from './routers/share';

export const appRouter = router({
	setup: setupRouter,
	auth: authRouter,
	sessions: sessionsRouter,
	admin: adminRouter,
	live: liveRouter,
	calls: callsRouter,
	scanner: scannerRouter,
	alerts: alertsRouter,
	share: shareRouter
});

/** The API's type, for typed clients (`import type { AppRouter } from 'squelch/src/lib/server/trpc/root'`). */
export type AppRouter = typeof appRouter;

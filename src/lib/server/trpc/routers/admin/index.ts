import { router } from '../../init';
import { adminUsersRouter } from './users';
import { adminEventsProcedure } from './events';

export const adminRouter = router({
	users: adminUsersRouter,
	events: adminEventsProcedure
});

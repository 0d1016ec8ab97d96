import { router } from '../../init';
import { adminUsersRouter } from './users';
import { adminApiKeysRouter } from './apiKeys';

export const adminRouter = router({
	users: adminUsersRouter,
	apiKeys: adminApiKeysRouter
});

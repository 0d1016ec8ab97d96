import { router } from '../../init';
import { adminUsersRouter } from './users';

export const adminRouter = router({
	users: adminUsersRouter
});

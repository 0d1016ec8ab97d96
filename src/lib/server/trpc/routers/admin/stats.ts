import { adminProcedure, router } from '../../init';
import { dashboard } from '../../../admin/stats';

export const adminStatsRouter = router({
	dashboard: adminProcedure.query(({ ctx }) => dashboard(ctx.services))
});

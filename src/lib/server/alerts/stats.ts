import type { DB } from '../core/db';

export interface AlertCount {
	userId: number;
	username: string;
	alerts: number;
	pushFailures: number;
}

/** Per user since `since`: alerts raised and push failures logged (the admin dashboard). */
export async function alertCounts(db: DB, since: number): Promise<AlertCount[]> {
	const raised = await db
		.selectFrom('alerts')
		.innerJoin('users', 'users.id', 'alerts.user_id')
		.select(['users.id', 'users.username', (eb) => eb.fn.countAll<number>().as('n')])
		.where('alerts.at', '>=', since)
		.groupBy('users.id')
		.execute();
	const failed = await db
		.selectFrom('events')
		.innerJoin('users', 'users.id', 'events.user_id')
		.select(['users.id', 'users.username', (eb) => eb.fn.countAll<number>().as('n')])
		.where('events.type', '=', 'alert.push_failed')
		.where('events.at', '>=', since)
		.groupBy('users.id')
		.execute();
	const byUser = new Map<number, AlertCount>();
	const entry = (id: number, username: string) => {
		let e = byUser.get(id);
		if (!e) byUser.set(id, (e = { userId: id, username, alerts: 0, pushFailures: 0 }));
		return e;
	};
	for (const r of raised) entry(r.id, r.username).alerts = Number(r.n);
	for (const r of failed) entry(r.id, r.username).pushFailures = Number(r.n);
	return [...byUser.values()].sort((a, b) => b.alerts - a.alerts || a.userId - b.userId);
}

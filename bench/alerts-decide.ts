/**
 * The alert decision on its own, in one process on a real SQLite file (no HTTP, no audio): the
 * CPU the decision worker spends per stored call with the bench's 1,000 rules over 100 users
 * (bench/alerts.ts), and the statements it runs. Calls are stored first (not measured), then
 * decided in batches as the worker reads them, on a clock that moves as the uploads did.
 *
 *   npx tsx bench/alerts-decide.ts [calls] [batch]
 *
 * `npm run bench` runs it after the alerts section (bench/run.ts), with batches of the size the
 * worker forms at the measured ingest rate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { createDb, migrateToLatest } from '../src/lib/server/core/db';
import { ManualClock } from '../src/lib/server/core/clock';
import { InProcessBus } from '../src/lib/server/core/bus';
import { decideCalls } from '../src/lib/server/alerts/decide';
import { callFactsAfter } from '../src/lib/server/alerts/facts';
import { createRule } from '../src/lib/server/alerts/rules';
import { insertCall } from '../tests/helpers/calls';
import { insertUserRow } from '../tests/helpers/users';
import { statementCounter } from '../tests/helpers/statement-counter';
import { ruleInput } from '../src/lib/server/alerts/test-support';
import { ALERT_USERS, ruleMatches } from './alerts';

/** The bench's uploads: 400 calls/s spread over 200 talkgroups of system 11. */
const CALL_INTERVAL_MS = 2.5;

export interface DecisionCost {
	calls: number;
	batch: number;
	/** CPU (user + system) per decided call. */
	usPerCall: number;
	statementsPerCall: number;
	raised: number;
	heldBack: number;
}

export async function decisionCost(calls: number, batch: number): Promise<DecisionCost> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squelch-decide-'));
	const plain = createDb(path.join(dir, 'squelch.db'));
	await migrateToLatest(plain);
	const count = statementCounter();
	const db = plain.withPlugin(count);
	const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
	const bus = new InProcessBus();
	const deps = { db, clock, bus, config: { alertsPerMinute: 10 } };

	for (let u = 0; u < ALERT_USERS; u++) {
		const userId = await insertUserRow(plain, `alerts${u}`);
		for (const match of ruleMatches(u))
			await createRule({ db: plain, clock, bus }, userId, ruleInput(match));
	}
	for (let seq = 0; seq < calls; seq++)
		await insertCall(plain, { systemRef: 11, talkgroupRef: 100 + (seq % 200) });

	// Warm-up (index, JIT), then the measured run from the first call again on a fresh clock.
	await decideCalls(deps, await callFactsAfter(db, 0, 50));
	await plain.deleteFrom('alerts').execute();
	count.count = 0;
	// DECIDE_PROF=<file>: a .cpuprofile of the measured part only.
	const session = process.env.DECIDE_PROF ? new Session() : null;
	if (session) {
		session.connect();
		await session.post('Profiler.enable');
		await session.post('Profiler.start');
	}
	const cpu0 = process.cpuUsage();
	let cursor = 50;
	let decided = 0;
	let raised = 0;
	while (decided < calls - 50) {
		const facts = await callFactsAfter(db, cursor, batch);
		if (!facts.length) break;
		clock.advance(CALL_INTERVAL_MS * facts.length);
		raised += (await decideCalls(deps, facts)).length;
		cursor = facts[facts.length - 1].callId;
		decided += facts.length;
	}
	const cpu = process.cpuUsage(cpu0);
	if (session) {
		const { profile } = await session.post('Profiler.stop');
		fs.writeFileSync(process.env.DECIDE_PROF!, JSON.stringify(profile));
	}
	const firing = await plain
		.selectFrom('alert_cooldowns')
		.select((eb) => eb.fn.sum<number>('suppressed').as('held'))
		.executeTakeFirstOrThrow();
	await plain.destroy();
	fs.rmSync(dir, { recursive: true, force: true });
	return {
		calls: decided,
		batch,
		usPerCall: (cpu.user + cpu.system) / decided,
		statementsPerCall: count.count / decided,
		raised,
		heldBack: Number(firing.held)
	};
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
	const [calls = 2000, batch = 1] = process.argv.slice(2).map(Number);
	decisionCost(calls, batch).then(
		(c) =>
			console.log(
				`${c.calls} calls in batches of ${c.batch}: ${c.usPerCall.toFixed(1)} µs CPU and ${c.statementsPerCall.toFixed(2)} statements per call; ${c.raised} alerts raised, ${c.heldBack} held back`
			),
		(err) => {
			console.error(err);
			process.exit(1);
		}
	);
}

import { beforeEach, describe, expect, it } from 'vitest';
import { testServices } from '../testing';
import { insertCall } from '../../../../tests/helpers/calls';
import { insertUserRow } from '../../../../tests/helpers/users';
import { decideAlerts, decideTranscript } from './decide';
import { createRule, type RuleInput } from './rules';
import { ruleInput } from './test-support';
import { watchTranscripts } from './transcript-alerts';

type Svc = Awaited<ReturnType<typeof testServices>>;
let svc: Svc;
let userId: number;

beforeEach(async () => {
	svc = await testServices();
	userId = await insertUserRow(svc.db, 'ana');
});

const rule = (over: Partial<RuleInput> & { keywords: string[] }) =>
	createRule(svc, userId, ruleInput({ name: 'Words', ...over }));

const alertCalls = async () =>
	(await svc.db.selectFrom('alerts').select('call_id').orderBy('id').execute()).map(
		(r) => r.call_id
	);

describe('keyword alert rules', () => {
	it('are stored normalised, decided when the transcript arrives, once per call', async () => {
		const created = await rule({ keywords: ['Structure  Fire!', 'structure fire', 'mayday'] });
		expect(created.keywords).toEqual(['structure fire', 'mayday']);
		const id = await insertCall(svc.db, { talkgroupRef: 100 });
		expect(await decideAlerts(svc, id)).toEqual([]); // at ingest: nothing to match yet
		expect(await decideTranscript(svc, id, 'Engine 5, structure fire at Main.')).toHaveLength(1);
		// Re-transcribed: the same rule and call alert once.
		expect(await decideTranscript(svc, id, 'Structure fire, second alarm.')).toEqual([]);
		expect(await alertCalls()).toEqual([id]);
	});

	it('need the rest of the rule to hold, and the words to be said', async () => {
		await rule({ keywords: ['mayday'], talkgroups: [100] });
		const other = await insertCall(svc.db, { talkgroupRef: 200 });
		const quiet = await insertCall(svc.db, { talkgroupRef: 100 });
		expect(await decideTranscript(svc, other, 'Mayday mayday')).toEqual([]);
		expect(await decideTranscript(svc, quiet, 'All units clear')).toEqual([]);
		expect(await alertCalls()).toEqual([]);
	});

	it('keep their cool-down like any rule', async () => {
		await rule({ keywords: ['fire'], cooldownSeconds: 600 });
		const a = await insertCall(svc.db, { talkgroupRef: 100 });
		const b = await insertCall(svc.db, { talkgroupRef: 100 });
		expect(await decideTranscript(svc, a, 'fire')).toHaveLength(1);
		expect(await decideTranscript(svc, b, 'fire again')).toEqual([]);
	});

	it('are decided from transcript.stored by the watcher', async () => {
		await rule({ keywords: ['shots fired'] });
		const id = await insertCall(svc.db, { talkgroupRef: 100 });
		await svc.db
			.insertInto('transcripts')
			.values({
				call_id: id,
				text: 'Shots fired, Elm and 3rd.',
				segments: '[]',
				language: 'en',
				engine: 'test',
				model: 'test',
				audio_seconds: 2,
				elapsed_ms: 10,
				created_at: 0
			})
			.execute();
		const stop = watchTranscripts(svc);
		const raised = new Promise((resolve) => svc.bus.subscribe('alert.raised', resolve));
		svc.bus.publish('transcript.stored', { callId: id });
		await raised;
		await stop();
		expect(await alertCalls()).toEqual([id]);
	});
});

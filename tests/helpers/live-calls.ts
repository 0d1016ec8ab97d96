import type { Client } from './client';
import type { liveClient } from './live-server';
import { fixture, M4A, post, trunkRecorderForm, type Reply } from './recorders';

/**
 * A listener following live.calls with the real client; records call ids and errors. The
 * unsubscribe goes to `onCleanup` (the test's afterEach list).
 */
export function followCalls(
	client: ReturnType<typeof liveClient>['client'],
	onCleanup: (fn: () => void) => void
) {
	const state = { ids: [] as number[], started: false, errors: [] as string[] };
	const sub = client.live.calls.subscribe(
		{},
		{
			onStarted: () => (state.started = true),
			onData: (e) => state.ids.push(e.data.id),
			onError: (e) => state.errors.push(e.data?.code ?? e.message)
		}
	);
	onCleanup(() => sub.unsubscribe());
	return state;
}

/** Every stored call id, oldest first (the archive, read by an admin). */
export async function storedCallIds(admin: Client): Promise<number[]> {
	const ids: number[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: Array<{ id: number }>; nextCursor: string | null } =
			await admin.calls.search.query({ limit: 100, cursor });
		ids.push(...page.items.map((c) => c.id));
		cursor = page.nextCursor;
	} while (cursor);
	return ids.sort((a, b) => a - b);
}

const audio = fixture(M4A);
let sequence = 0;

/**
 * One Trunk-Recorder upload of the M4A fixture to `baseUrl` on system 11; each on its own
 * talkgroup time slot (dateTime steps of 10 s), so none is a duplicate.
 */
export function uploadCountyCall(baseUrl: string, key: string): Promise<Reply> {
	const n = sequence++;
	const form = trunkRecorderForm({
		key,
		audio,
		audioName: M4A,
		audioType: 'audio/mp4',
		dateTime: 1_718_145_700 + n * 10,
		system: 11,
		systemLabel: 'County',
		talkgroup: 100 + (n % 4),
		talkgroupLabel: `Dispatch ${n % 4}`
	});
	return post(`${baseUrl}/api/call-upload`, form);
}

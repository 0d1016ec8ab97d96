import { api } from '$lib/client/trpc';
import { session } from '$lib/client/session.svelte';
import { tgKey } from './format';

export type System = Awaited<ReturnType<typeof api.calls.systems.query>>[number];
type Ref = { system: number; talkgroup: number };

const LOCAL = 'squelch-selection';

/**
 * The talkgroup selection: which talkgroups are turned off. Signed-in users keep it on the server
 * (it follows them, and live.calls leaves those talkgroups out); anonymous listeners keep it here.
 */
export class Selection {
	systems = $state<System[]>([]);
	muted = $state<Set<string>>(new Set());
	error = $state('');
	private saving: Promise<unknown> = Promise.resolve();

	async load(): Promise<void> {
		try {
			const [systems, refs] = await Promise.all([api.calls.systems.query(), this.loadMuted()]);
			this.systems = systems;
			this.muted = new Set(refs.map((r) => tgKey(r.system, r.talkgroup)));
			this.error = '';
		} catch (err) {
			this.error = `Could not load talkgroups: ${(err as Error).message}`;
		}
	}

	private async loadMuted(): Promise<Ref[]> {
		if (session.status === 'signed-in') return (await api.scanner.selection.get.query()).muted;
		try {
			return JSON.parse(localStorage.getItem(LOCAL) ?? '[]') as Ref[];
		} catch {
			return [];
		}
	}

	isOn = (system: number, talkgroup: number) => !this.muted.has(tgKey(system, talkgroup));

	/** Turns these talkgroups on or off and saves the whole selection (saves run one at a time). */
	set(refs: Ref[], on: boolean): Promise<void> {
		const next = new Set(this.muted);
		for (const r of refs) {
			if (on) next.delete(tgKey(r.system, r.talkgroup));
			else next.add(tgKey(r.system, r.talkgroup));
		}
		this.muted = next;
		const muted = [...next].map((k) => {
			const [system, talkgroup] = k.split(':').map(Number);
			return { system, talkgroup };
		});
		const save = this.saving.then(async () => {
			try {
				if (session.status === 'signed-in') await api.scanner.selection.set.mutate({ muted });
				else localStorage.setItem(LOCAL, JSON.stringify(muted));
				this.error = '';
			} catch (err) {
				this.error = `Could not save the selection: ${(err as Error).message}`;
			}
		});
		this.saving = save;
		return save;
	}
}

/**
 * The alert-rules figure: ingest with 1,000 rules spread over 100 users next to the same run with
 * none. Rules are what listeners write: mostly a few talkgroups each, some units, drawn from a
 * site of 2,000 talkgroups, of which the bench's uploads use 200 (load.ts); so about one call in
 * two matches a rule, and each match goes through the cool-down and the per-minute cap.
 */
import { client } from './lib/squelch';

export const ALERT_USERS = 100;
export const RULES_PER_USER = 10;
const SITE_TALKGROUPS = 2000;

/** A small deterministic generator, so every run seeds the same rules. */
function random(seed: number) {
	let s = seed >>> 0;
	return (n: number) => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return s % n;
	};
}

/** User `u`'s rules (names and match fields), the same on every run. */
export function ruleMatches(u: number) {
	const pick = random(15 + u);
	return Array.from({ length: RULES_PER_USER }, (_, r) => {
		const byUnit = r >= 8;
		const count = 1 + pick(3);
		const ids = Array.from({ length: count }, () =>
			byUnit ? 1_000_000 + pick(50_000) : 100 + pick(SITE_TALKGROUPS)
		);
		return {
			name: `alerts${u} rule ${r}`,
			...(byUnit ? { units: ids } : { talkgroups: ids }),
			cooldownSeconds: 60
		};
	});
}

export interface AlertUsers {
	/** Gives every user their rules (the same ones each time); returns how many there are. */
	seed(): Promise<number>;
	/** Deletes every rule, so the next run has none. */
	clear(): Promise<void>;
}

/** Creates the users (each hearing everything), signed in, with no rules yet. */
export async function alertUsers(
	url: string,
	admin: ReturnType<typeof client>
): Promise<AlertUsers> {
	const anon = client(url);
	const users: Array<ReturnType<typeof client>> = [];
	for (let u = 0; u < ALERT_USERS; u++) {
		const username = `alerts${u}`;
		const password = `${username}-password-1`;
		const { id } = await admin.admin.users.create.mutate({ username, password, role: 'listener' });
		await admin.admin.users.setAccess.mutate({ id, accessAll: true });
		const auth = await anon.auth.login.mutate({ username, password });
		users.push(client(url, auth.accessToken));
	}
	return {
		async seed() {
			let made = 0;
			for (const [u, user] of users.entries())
				for (const rule of ruleMatches(u)) {
					await user.alerts.rules.create.mutate(rule);
					made++;
				}
			return made;
		},
		async clear() {
			for (const user of users)
				for (const rule of await user.alerts.rules.list.query())
					await user.alerts.rules.delete.mutate({ id: rule.id });
		}
	};
}

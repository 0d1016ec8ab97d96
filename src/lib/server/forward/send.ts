import fs from 'node:fs';
import type { DB } from '../core/db';
import { absoluteAudioPath } from '../calls/storage';
import { trunkRecorderForm } from '../calls/recorder-forms';

/**
 * One stored call sent downstream exactly as Trunk-Recorder's rdioscanner_uploader sends it
 * (calls/recorder-forms.ts builds that body for the simulator and the tests too), with the
 * target's id remapping applied.
 */

export interface SendTarget {
	url: string;
	api_key: string;
	system_map: string;
	talkgroup_map: string;
}

const map = (json: string, ref: number): number => {
	try {
		const value = (JSON.parse(json) as Record<string, unknown>)[String(ref)];
		return Number.isInteger(value) && (value as number) > 0 ? (value as number) : ref;
	} catch {
		return ref;
	}
};

export type SendOutcome = { ok: true; body: string } | { ok: false; error: string; final: boolean };

export async function sendCall(
	db: DB,
	recordingsDir: string,
	target: SendTarget,
	callId: number,
	timeoutMs = 30_000
): Promise<SendOutcome> {
	const call = await db
		.selectFrom('calls')
		.innerJoin('systems', 'systems.id', 'calls.system_id')
		.innerJoin('talkgroups', 'talkgroups.id', 'calls.talkgroup_id')
		.select([
			'calls.date_time',
			'calls.frequency',
			'calls.audio_path',
			'calls.audio_type',
			'calls.audio_name',
			'calls.frequencies',
			'calls.sources',
			'calls.patches',
			'systems.system_ref',
			'systems.label as system_label',
			'talkgroups.talkgroup_ref',
			'talkgroups.label',
			'talkgroups.name',
			'talkgroups.group_name',
			'talkgroups.tag'
		])
		.where('calls.id', '=', callId)
		.executeTakeFirst();
	// A call deleted since (retention, admin) has nothing left to send.
	if (!call) return { ok: false, error: 'the call no longer exists', final: true };
	const file = absoluteAudioPath(recordingsDir, call.audio_path);
	const audio = file ? await fs.promises.readFile(file).catch(() => null) : null;
	if (!audio) return { ok: false, error: 'the audio file is missing', final: true };

	const form = trunkRecorderForm({
		key: target.api_key,
		audio,
		audioName: call.audio_name || `call.${call.audio_path.split('.').pop()}`,
		audioType: call.audio_type as 'audio/wav',
		dateTime: call.date_time / 1000,
		system: map(target.system_map, call.system_ref),
		systemLabel: call.system_label,
		talkgroup: map(target.talkgroup_map, call.talkgroup_ref),
		talkgroupLabel: call.label,
		talkgroupName: call.name,
		talkgroupGroup: call.group_name,
		talkgroupTag: call.tag,
		frequency: call.frequency ?? undefined,
		frequencies: call.frequencies,
		sources: call.sources,
		patches: call.patches
	});
	try {
		const res = await fetch(`${target.url}/api/call-upload`, {
			method: 'POST',
			headers: { 'content-type': form.contentType },
			body: new Uint8Array(form.body),
			redirect: 'manual',
			signal: AbortSignal.timeout(timeoutMs)
		});
		const body = (await res.text()).slice(0, 300).trim();
		// rdio-scanner servers answer 200 for a stored call and for a duplicate alike.
		if (res.status >= 200 && res.status < 300) return { ok: true, body };
		return { ok: false, error: `HTTP ${res.status}: ${body || res.statusText}`, final: false };
	} catch (err) {
		// fetch's own message is just "fetch failed": say why (refused, unknown host, timeout).
		const message = err instanceof Error ? err.message : String(err);
		const detail = why((err as { cause?: unknown }).cause);
		return { ok: false, error: detail ? `${message}: ${detail}` : message, final: false };
	}
}

function why(cause: unknown): string {
	if (!cause || typeof cause !== 'object') return '';
	const c = cause as { code?: string; message?: string; errors?: unknown[] };
	if (c.code) return c.code;
	if (Array.isArray(c.errors) && c.errors.length) return why(c.errors[0]);
	return c.message ?? '';
}

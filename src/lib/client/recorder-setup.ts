/**
 * Ready-to-paste recorder settings for a new upload key (docs/recorders.md explains each field).
 * `origin` is this server's public URL as the admin reaches it; recorders append the upload path.
 */

export interface RecorderSnippet {
	recorder: 'Trunk-Recorder' | 'SDRTrunk' | 'voxcall';
	/** What to do with the text. */
	where: string;
	text: string;
}

export function recorderSnippets(origin: string, key: string, systemId: number): RecorderSnippet[] {
	const base = origin.replace(/\/+$/, '');
	const plugin = {
		name: 'rdioscanner_uploader',
		library: 'librdioscanner_uploader.so',
		server: base,
		systems: [{ shortName: 'CHANGE_ME', apiKey: key, systemId }]
	};
	return [
		{
			recorder: 'Trunk-Recorder',
			where: 'Add to "plugins" in config.json; set shortName to the system\'s shortName there.',
			text: JSON.stringify(plugin, null, 2)
		},
		{
			recorder: 'SDRTrunk',
			where: 'Playlist Editor → Streaming → add an Rdio Scanner stream with these fields.',
			text: ['Name: Squelch', `Host: ${base}`, `API Key: ${key}`, `System ID: ${systemId}`].join(
				'\n'
			)
		},
		{
			recorder: 'voxcall',
			where: "voxcall's Rdio Scanner settings.",
			text: [
				`Upload URL: ${base}/api/call-upload`,
				`API Key: ${key}`,
				`System: ${systemId}`,
				'Talkgroup: the talkgroup number to file this audio under'
			].join('\n')
		}
	];
}

/** Whether an admin event says this key's upload was stored. */
export const isUploadFromKey = (event: { type: string; keyId?: unknown }, keyId: number) =>
	event.type === 'call.ingested' && event.keyId === keyId;

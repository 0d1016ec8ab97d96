import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingCall } from './ingest';
import { incomingDir } from './storage';
import { tempPathFor } from './multipart';

/** An uploaded temp file plus the call that describes it. */
export function incomingCall(
	recordingsDir: string,
	over: Partial<IncomingCall> = {}
): IncomingCall {
	const fileId = randomUUID();
	const tmpPath = tempPathFor(incomingDir(recordingsDir), fileId);
	fs.writeFileSync(tmpPath, Buffer.alloc(100, 1));
	return {
		systemRef: 1,
		systemLabel: 'County',
		talkgroupRef: 100,
		talkgroupLabel: 'FD1',
		talkgroupName: 'Fire Dispatch',
		talkgroupGroup: 'Fire',
		talkgroupTag: 'Dispatch',
		dateTime: Date.UTC(2024, 5, 15, 11),
		frequency: 851012500,
		duration: 2.5,
		audio: { tmpPath, fileId, size: 100, type: { mime: 'audio/wav', ext: 'wav' }, name: 'a.wav' },
		source: 1234,
		sources: [{ pos: 0, src: 1234, tag: 'Engine 5' }],
		units: [{ ref: 1234, alias: 'Engine 5' }],
		frequencies: [],
		patches: [],
		apiKeyId: null,
		...over
	};
}

/** Every file under a directory, relative to it. */
export function filesUnder(dir: string): string[] {
	if (!fs.existsSync(dir)) return [];
	return fs
		.readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile())
		.map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
		.sort();
}

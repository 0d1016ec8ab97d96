import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { indexCsv, indexJson, type IncidentEntry } from './incident-files';

/**
 * The incident as one zip, streamed: the audio files stored as they are (already compressed),
 * then index.csv and index.json describing each call.
 */
export function incidentZip(title: string, entries: IncidentEntry[]): Readable {
	const zip = new ZipFile();
	for (const e of entries) {
		if (e.path && e.file) zip.addFile(e.path, e.file, { compress: false });
	}
	zip.addBuffer(Buffer.from(indexCsv(entries)), 'index.csv');
	zip.addBuffer(Buffer.from(indexJson(title, entries)), 'index.json');
	zip.end();
	const out = zip.outputStream as Readable;
	// A file that vanished mid-way ends the download with an error rather than a hung request.
	zip.on('error', (err: Error) => out.destroy(err));
	return out;
}

import { describe, expect, it } from 'vitest';
import { isUploadFromKey, recorderSnippets } from './recorder-setup';

describe('recorderSnippets', () => {
	it('fills in the server URL and the key for each recorder', () => {
		const [tr, sdr, vox] = recorderSnippets('https://scanner.example.org/', 'sq_abc', 3);
		expect(JSON.parse(tr.text)).toEqual({
			name: 'rdioscanner_uploader',
			library: 'librdioscanner_uploader.so',
			server: 'https://scanner.example.org',
			systems: [{ shortName: 'CHANGE_ME', apiKey: 'sq_abc', systemId: 3 }]
		});
		expect(sdr.text).toContain('Host: https://scanner.example.org\n');
		expect(sdr.text).toContain('API Key: sq_abc');
		expect(vox.text).toContain('Upload URL: https://scanner.example.org/api/call-upload');
	});

	it("recognises only that key's stored uploads", () => {
		expect(isUploadFromKey({ type: 'call.ingested', keyId: 4 }, 4)).toBe(true);
		expect(isUploadFromKey({ type: 'call.ingested', keyId: 5 }, 4)).toBe(false);
		expect(isUploadFromKey({ type: 'upload.rejected', keyId: 4 }, 4)).toBe(false);
	});
});

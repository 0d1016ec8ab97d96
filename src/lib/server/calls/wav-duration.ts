/**
 * The duration of a plain WAV file (RIFF/WAVE with `fmt `, optionally `fact`, then `data`), read
 * from its header in a few microseconds: most recorders (Trunk-Recorder, voxcall) upload exactly
 * that, and a full metadata parse (music-metadata: type sniffing, a lazily imported parser, a tag
 * collector) was a visible share of each upload's CPU (docs/performance.md).
 *
 * The answer is music-metadata's, computed its way: samples (the `fact` count, else the `data`
 * size cut to the bytes present, over the block size) divided by the sample rate. Any other
 * layout — another chunk (LIST, bext, …), a chunk before `fmt `, odd sizes the parser treats
 * specially — returns null, and the caller asks music-metadata, so nothing unusual is judged here.
 */
export function wavDuration(bytes: Uint8Array): number | null {
	const len = bytes.length;
	if (len < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, len);
	let remaining = view.getUint32(4, true) - 4;
	let pos = 12;
	let sampleRate = 0;
	let blockAlign = 0;
	let factSamples: number | null = null;
	let duration: number | undefined;
	while (remaining >= 8) {
		// A header past the end: the parser stops there, keeping what it found.
		if (pos + 8 > len) break;
		const id = ascii(bytes, pos);
		const size = view.getUint32(pos + 4, true);
		pos += 8;
		remaining -= 8 + size;
		if (id === 'fmt ') {
			if (size < 16 || pos + size > len || sampleRate) return null;
			sampleRate = view.getUint32(pos + 4, true);
			blockAlign = view.getUint16(pos + 12, true);
		} else if (id === 'fact') {
			if (size < 4 || pos + size > len) return null;
			factSamples = view.getUint32(pos, true);
		} else if (id === 'data') {
			if (!sampleRate || !blockAlign || duration !== undefined) return null;
			const present = Math.min(size, len - pos);
			const samples = factSamples ?? (present === 0xffffffff ? undefined : present / blockAlign);
			if (samples) duration = samples / sampleRate;
			if (pos + size >= len) break; // the data runs to (or past) the end of the file
		} else return null;
		pos += size + (size % 2);
	}
	return duration ?? null;
}

function ascii(bytes: Uint8Array, at: number): string {
	return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

import type { Config } from '../core/config';
import type { Settings } from '../core/settings';
import type { TranscriptionEngine } from './engine';
import { OpenAiEngine } from './openai-engine';

/** The engine settings in force: the admin's, each falling back to SQUELCH_STT_*. */
export interface EngineChoice {
	kind: 'off' | 'openai';
	url: string | null;
	model: string;
	apiKey: string | null;
	language: string | null;
	timeoutMs: number;
}

export function engineChoice(settings: Settings, env: Config['stt']): EngineChoice {
	const url = settings.sttUrl ?? env.url;
	const kind = settings.sttEngine ?? (env.url ? 'openai' : 'off');
	return {
		kind: kind === 'openai' && url ? 'openai' : 'off',
		url,
		model: settings.sttModel ?? env.model,
		apiKey: settings.sttApiKey ?? env.apiKey,
		language: settings.sttLanguage ?? env.language,
		timeoutMs: settings.sttTimeoutSec * 1000
	};
}

/** The engine for a choice, or null when transcripts are off. Add in-process engines here. */
export function engineFor(choice: EngineChoice, now: () => number): TranscriptionEngine | null {
	if (choice.kind === 'openai' && choice.url)
		return new OpenAiEngine({
			baseUrl: choice.url,
			model: choice.model,
			apiKey: choice.apiKey,
			timeoutMs: choice.timeoutMs,
			now
		});
	return null;
}

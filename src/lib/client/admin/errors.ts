import { TRPCClientError } from '@trpc/client';

/**
 * What to show for a failed admin call. The server's messages start with the field they are about
 * (`retentionDays: Too big: …`, `id: bob is the last active admin …`); `labels` turns those names
 * into the words on the page, and a label of '' drops the prefix (for `id`, which is the row itself).
 */
export function errorText(err: unknown, labels: Record<string, string> = {}): string {
	if (!(err instanceof TRPCClientError)) return 'The server could not be reached. Try again.';
	const names: Record<string, string> = { id: '', ...labels };
	return err.message
		.split('; ')
		.map((part) => {
			const match = /^([A-Za-z][\w.]*): (.*)$/s.exec(part);
			if (!match || !(match[1] in names)) return part;
			const label = names[match[1]];
			return label ? `${label}: ${match[2]}` : capitalise(match[2]);
		})
		.join('; ');
}

/** The input fields a BAD_REQUEST names (`data.fields` for schema errors, else the message's prefix). */
export function errorFields(err: unknown): string[] {
	if (!(err instanceof TRPCClientError)) return [];
	const fields = (err.data as { fields?: unknown } | undefined)?.fields;
	if (Array.isArray(fields) && fields.length) return fields.map(String);
	return err.message
		.split('; ')
		.map((part) => /^([A-Za-z][\w.]*): /.exec(part)?.[1])
		.filter((f): f is string => !!f);
}

/** The part of the message about one field, without its prefix ("Too big: …"), or null. */
export function messageFor(err: unknown, field: string): string | null {
	if (!(err instanceof TRPCClientError)) return null;
	const part = err.message.split('; ').find((p) => p.startsWith(`${field}: `));
	return part ? part.slice(field.length + 2) : null;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

import { httpApi } from '$lib/client/http-api';

/** The keys page's only door to the server (tRPC over HTTP with the session's token). */
export type ApiKey = Awaited<ReturnType<typeof httpApi.admin.apiKeys.list.query>>[number];

export const keysApi = {
	list: () => httpApi.admin.apiKeys.list.query(),
	create: (name: string, systems: number[]) =>
		httpApi.admin.apiKeys.create.mutate({ name, systems }),
	setDisabled: (id: number, disabled: boolean) =>
		httpApi.admin.apiKeys.update.mutate({ id, disabled }),
	remove: (id: number) => httpApi.admin.apiKeys.delete.mutate({ id })
};

import type { Viewer } from '$lib/server/auth/access-token';
import type { Services } from '$lib/server/app';

declare global {
	namespace App {
		interface Locals {
			/** The process's services (app.ts), set by hooks.server.ts. */
			services: Services;
			viewer: Viewer | null;
			clientIp: string;
		}
		interface Error {
			message: string;
		}
	}
}

export {};

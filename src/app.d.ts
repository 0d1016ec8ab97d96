import type { Viewer } from '$lib/server/auth/access-token';

declare global {
	namespace App {
		interface Locals {
			viewer: Viewer | null;
			clientIp: string;
		}
		interface Error {
			message: string;
		}
	}
}

export {};

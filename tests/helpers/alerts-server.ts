import { startServer, type TestServer } from './server';
import { createAndSignIn, signInAdmin } from './client';
import type { PushService } from './push-service';

/** A server's env that trusts the loopback push service's CA and lets pushes reach loopback. */
export const pushEnv = (push: PushService) => ({
	NODE_EXTRA_CA_CERTS: push.caFile,
	SQUELCH_PUSH_ALLOW_PRIVATE: '1'
});

/**
 * The alerts tests' starting point: a server that pushes to `push`, its admin, an upload key,
 * and a listener "mia" who may hear every talkgroup.
 */
export async function startAlertsServer(push: PushService) {
	const server: TestServer = await startServer({ env: pushEnv(push) });
	const admin = await signInAdmin(server.url);
	const { key } = await admin.client.admin.apiKeys.create.mutate({ name: 'recorder' });
	const mia = await createAndSignIn(server.url, admin.client, 'mia');
	await admin.client.admin.users.setAccess.mutate({ id: mia.id, accessAll: true });
	return { server, admin, key, mia };
}

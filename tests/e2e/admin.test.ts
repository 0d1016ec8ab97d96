import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server';
import { ADMIN, signInAdmin, type Client } from '../helpers/client';
import {
	DESKTOP,
	PHONE,
	launchBrowser,
	screenshot,
	signIn,
	watchConsole
} from '../helpers/browser';
import { fixture, openServerDb, post, trunkRecorderForm, WAV } from '../helpers/recorders';

// The tests share one server and run in order: the first builds the systems, users and calls
// that the screenshots show; the last restarts the server.
let server: TestServer;
let browser: Browser;
let api: Client;

beforeAll(async () => {
	server = await startServer();
	browser = await launchBrowser();
	({ client: api } = await signInAdmin(server.url));
});
afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

const FIRE_CSV =
	'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category\n101,065,FD Dispatch,D,Fire Dispatch,Fire Dispatch,Fire\n102,066,FD Tac 1,D,Fire Tactical 1,Fire-Tac,Fire\n';
const POLICE_CSV =
	'Decimal,Hex,Alpha Tag,Mode,Description,Tag,Category\n201,0c9,PD Main,D,Police Dispatch,Law Dispatch,Police\n';

/** The browser logs each refused request ("Failed to load resource: … status of 403"); the test counts the ones it caused. */
const refusal = (m: string) =>
	/Failed to load resource: the server responded with a status of (400|403|409)/.test(m);

async function open(page: Page, path: string, ready: string) {
	await page.goto(`${server.url}${path}`);
	await page.getByRole('heading', { name: ready, level: 1 }).waitFor();
}

it('an admin sets up systems, a limited listener and settings, sees the dashboard and signs the listener’s phone out', async () => {
	const adminContext = await browser.newContext({ ...DESKTOP, colorScheme: 'light' });
	const admin = await signIn(adminContext, server.url, ADMIN.username, ADMIN.password);
	const adminConsole = watchConsole(admin);
	let refusals = 0;

	// The main nav leads to the admin area, and the admin nav lists every section.
	await admin
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Admin' })
		.click();
	await admin.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
	const adminNav = admin.getByRole('navigation', { name: 'Admin' });
	expect(await adminNav.getByRole('link').allTextContents()).toEqual([
		'Dashboard',
		'Users',
		'Devices',
		'Upload keys',
		'Systems',
		'Forwarding',
		'Share links',
		'Settings',
		'Events'
	]);
	expect(await adminNav.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe(
		'page'
	);

	// Systems: add two, import their talkgroups (pasted, and from a file), and see a bad file refused.
	await adminNav.getByRole('link', { name: 'Systems' }).click();
	await admin.getByRole('heading', { name: 'Radio systems', level: 1 }).waitFor();
	for (const [ref, label] of [
		['1', 'County Fire'],
		['2', 'City Police']
	]) {
		const add = admin.locator('details.add');
		if (!(await add.evaluate((d: HTMLDetailsElement) => d.open)))
			await add.locator('summary').click();
		await admin.locator('.add-form').getByLabel('System number').fill(ref);
		await admin.locator('.add-form').getByLabel('Label').fill(label);
		await admin.getByRole('button', { name: 'Add system' }).click();
		await expect.poll(() => admin.getByTestId('status').textContent()).toBe(`${label} was added.`);
	}
	// A system number taken already is refused with the field named.
	await admin.getByLabel('System number').fill('1');
	await admin.getByRole('button', { name: 'Add system' }).click();
	await expect
		.poll(() => admin.locator('.add-form [role=alert]').textContent())
		.toBe('System number: system 1 already exists');
	refusals++;

	const fire = admin
		.getByTestId('system')
		.filter({ has: admin.getByRole('heading', { name: 'County Fire' }) });
	const police = admin
		.getByTestId('system')
		.filter({ has: admin.getByRole('heading', { name: 'City Police' }) });
	await fire.getByText('Import talkgroups from CSV').click();
	await fire.getByLabel('…or paste the CSV text').fill('Decimal,Alpha Tag\n101,ok\nabc,bad\n');
	await fire.getByRole('button', { name: 'Import into County Fire' }).click();
	await expect.poll(() => fire.getByTestId('csv-error').textContent()).toMatch(/^CSV: line 3: /);
	refusals++;
	expect((await api.admin.systems.list.query()).find((s) => s.systemRef === 1)?.talkgroups).toEqual(
		[]
	);
	// Too large for one request: refused before sending, with the size.
	await fire
		.getByLabel('…or paste the CSV text')
		.fill(`Decimal,Alpha Tag\n1,${'x'.repeat(1_100_000)}\n`);
	await fire.getByRole('button', { name: 'Import into County Fire' }).click();
	await expect
		.poll(() => fire.getByTestId('csv-error').textContent())
		.toMatch(
			/^CSV: the file is too large to import at once \(10\d\d KiB; the limit is 1023 KiB\)\.$/
		);
	await fire.getByLabel('…or paste the CSV text').fill(FIRE_CSV);
	await fire.getByRole('button', { name: 'Import into County Fire' }).click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('Imported into County Fire: 2 created, 0 updated, 0 unchanged.');
	await police.getByText('Import talkgroups from CSV').click();
	await police
		.getByLabel('CSV file')
		.setInputFiles({ name: 'police.csv', mimeType: 'text/csv', buffer: Buffer.from(POLICE_CSV) });
	await expect
		.poll(() => police.getByLabel('…or paste the CSV text (from police.csv)').inputValue())
		.toBe(POLICE_CSV);
	await police.getByRole('button', { name: 'Import into City Police' }).click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('Imported into City Police: 1 created, 0 updated, 0 unchanged.');

	// Edit a talkgroup label in place; it is saved when the field is left.
	const label101 = fire.getByLabel('Label of talkgroup 101');
	await label101.fill('Fire Dispatch Main');
	await label101.press('Enter');
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('Saved the label of talkgroup 101.');
	const stored = (await api.admin.systems.list.query()).find((s) => s.systemRef === 1)!;
	expect(stored.talkgroups.find((t) => t.talkgroupRef === 101)?.label).toBe('Fire Dispatch Main');

	// Auto-populate off for the police system, and the order of the systems swapped.
	await police.getByLabel('Add new talkgroups and units automatically when calls arrive').uncheck();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('Saved auto-populate of City Police.');
	await admin.getByRole('button', { name: 'Move City Police up' }).click();
	await expect
		.poll(() => admin.getByTestId('system').first().getAttribute('data-system-ref'))
		.toBe('2');
	const systems = await api.admin.systems.list.query();
	expect(systems.map((s) => [s.systemRef, s.autoPopulate])).toEqual([
		[2, false],
		[1, true]
	]);

	// Export gives the edited talkgroups back as Trunk-Recorder CSV.
	const [download] = await Promise.all([
		admin.waitForEvent('download'),
		fire.getByRole('button', { name: 'Export talkgroups CSV' }).click()
	]);
	expect(download.suggestedFilename()).toBe('talkgroups-1.csv');
	const exported = fs.readFileSync((await download.path())!, 'utf8');
	expect(exported).toBe(FIRE_CSV.replace('FD Dispatch', 'Fire Dispatch Main'));

	// An empty system is deleted after a confirmation.
	await admin.locator('.add-form').getByLabel('System number').fill('3');
	await admin.locator('.add-form').getByLabel('Label').fill('Spare');
	await admin.getByRole('button', { name: 'Add system' }).click();
	await expect.poll(() => admin.getByTestId('status').textContent()).toBe('Spare was added.');
	await admin
		.getByTestId('system')
		.filter({ has: admin.getByRole('heading', { name: 'Spare' }) })
		.getByRole('button', { name: 'Delete system' })
		.click();
	await admin
		.getByRole('dialog', { name: 'Delete Spare?' })
		.getByRole('button', { name: 'Delete' })
		.click();
	await expect.poll(() => admin.getByTestId('status').textContent()).toBe('Spare was deleted.');
	expect((await api.admin.systems.list.query()).map((s) => s.systemRef)).toEqual([2, 1]);

	// Users: a listener who hears only the fire talkgroups.
	await adminNav.getByRole('link', { name: 'Users' }).click();
	await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
	await admin.getByRole('button', { name: 'New user' }).click();
	const dialog = admin.getByTestId('user-dialog');
	await dialog.getByLabel('Username').fill('ffan');
	await dialog.getByRole('textbox', { name: /^Password/ }).fill('first password 1');
	await dialog.getByLabel('Only the systems and talkgroups chosen below').check();
	await dialog
		.getByRole('group', { name: 'Talkgroups of County Fire' })
		.getByRole('checkbox')
		.first()
		.check();
	await dialog
		.getByRole('group', { name: 'Talkgroups of County Fire' })
		.getByRole('checkbox')
		.nth(1)
		.check();
	await screenshot(admin, 'admin-user-create-desktop-light');
	await dialog.getByRole('button', { name: 'Create user' }).click();
	await expect.poll(() => admin.getByTestId('status').textContent()).toBe('ffan was created.');
	const row = admin.locator('[data-testid=user-row][data-username=ffan]');
	await expect.poll(() => row.textContent()).toContain('2 talkgroups');
	expect(await row.textContent()).toContain('Must change password');
	const ffan = (await api.admin.users.list.query()).find((u) => u.username === 'ffan')!;
	const fireTalkgroups = systems.find((s) => s.systemRef === 1)!.talkgroups.map((t) => t.id);
	expect(ffan).toMatchObject({
		role: 'listener',
		accessAll: false,
		mustChangePassword: true,
		access: { systems: [] }
	});
	expect([...ffan.access.talkgroups].sort()).toEqual([...fireTalkgroups].sort());

	// Guards: the admin can neither disable nor delete themselves, and is told why.
	await admin.getByRole('button', { name: 'Disable admin' }).click();
	await expect
		.poll(() => admin.getByTestId('page-error').textContent())
		.toBe('Could not disable admin: you cannot disable yourself');
	await admin.getByRole('button', { name: 'Delete admin' }).click();
	await dialog.getByRole('button', { name: 'Delete admin' }).click();
	await expect
		.poll(() => dialog.getByTestId('form-error').textContent())
		.toBe('Could not delete admin: you cannot delete yourself');
	await screenshot(admin, 'admin-user-guard-desktop-light');
	await dialog.getByRole('button', { name: 'Cancel' }).click();
	refusals += 2;

	// Disable, enable, reset the password of and delete another user.
	const { id: tempId } = await api.admin.users.create.mutate({
		username: 'temp',
		password: 'temp password 1',
		role: 'listener',
		mustChangePassword: false
	});
	await admin.reload();
	const temp = admin.locator('[data-testid=user-row][data-username=temp]');
	await temp.getByRole('button', { name: 'Disable temp' }).click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('temp was disabled and signed out everywhere.');
	await expect.poll(() => temp.textContent()).toContain('Disabled');
	await temp.getByRole('button', { name: 'Enable temp' }).click();
	await expect.poll(() => admin.getByTestId('status').textContent()).toBe('temp was enabled.');
	expect(await temp.textContent()).not.toContain('Disabled');
	await temp.getByRole('button', { name: 'Reset password of temp' }).click();
	await dialog.getByLabel('New password').fill('short');
	await dialog.getByRole('button', { name: 'Reset password' }).click();
	await expect
		.poll(() => dialog.getByTestId('form-error').textContent())
		.toBe('Could not reset the password of temp: password: must be at least 8 characters');
	refusals++;
	await dialog.getByRole('button', { name: 'Suggest a password' }).click();
	expect(await dialog.getByLabel('New password').inputValue()).toMatch(/^[A-Za-z0-9]{14}$/);
	await dialog.getByRole('button', { name: 'Reset password' }).click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('The password of temp was reset; they were signed out and must choose a new one.');
	expect(
		(await api.admin.users.list.query()).find((u) => u.id === tempId)?.mustChangePassword
	).toBe(true);
	await temp.getByRole('button', { name: 'Delete temp' }).click();
	await dialog.getByRole('button', { name: 'Delete temp' }).click();
	await expect.poll(() => admin.getByTestId('status').textContent()).toBe('temp was deleted.');
	expect((await api.admin.users.list.query()).map((u) => u.username)).toEqual(['admin', 'ffan']);

	// Settings: a value out of range names the field and stores nothing; a good one is saved.
	await adminNav.getByRole('link', { name: 'Settings' }).click();
	await admin.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
	await admin.getByLabel('Keep calls for (days)').fill('99999');
	await admin.getByRole('button', { name: 'Save settings' }).click();
	await expect
		.poll(() => admin.getByTestId('settings-error').textContent())
		.toMatch(/^Not saved\. Keep calls for \(days\): Too big/);
	expect(await admin.getByLabel('Keep calls for (days)').getAttribute('aria-invalid')).toBe('true');
	refusals++;
	expect((await api.admin.settings.get.query()).retentionDays).toBe(0);
	await admin.getByLabel('Keep calls for (days)').fill('30');
	await admin.getByRole('button', { name: 'Save settings' }).click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('Saved: Keep calls for (days). Changes apply at once.');
	expect((await api.admin.settings.get.query()).retentionDays).toBe(30);

	// The listener signs in on a desktop browser and must choose a password before anything else.
	const listenerDesktopContext = await browser.newContext({ ...DESKTOP, colorScheme: 'dark' });
	const listenerDesktop = await signIn(
		listenerDesktopContext,
		server.url,
		'ffan',
		'first password 1'
	);
	const listenerDesktopConsole = watchConsole(listenerDesktop);
	const gate = listenerDesktop.getByTestId('must-change-password');
	await gate.waitFor();
	expect(
		await listenerDesktop.getByRole('navigation', { name: 'Main' }).getByRole('link').count()
	).toBe(0);
	await screenshot(listenerDesktop, 'must-change-password-desktop-dark');
	await gate.getByLabel('Password you were given').fill('first password 1');
	await gate.getByRole('textbox', { name: /^New password/ }).fill('my own password 2');
	await gate.getByLabel('Repeat new password').fill('my own password 2');
	await gate.getByRole('button', { name: 'Save password and continue' }).click();
	await listenerDesktop.getByRole('heading', { name: 'Scanner' }).waitFor();
	expect(
		(await api.admin.users.list.query()).find((u) => u.username === 'ffan')?.mustChangePassword
	).toBe(false);
	// A listener has no Admin link, and the admin area says it is for admins.
	expect(
		await listenerDesktop
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link')
			.allTextContents()
	).toEqual(['Scanner', 'Archive', 'Alerts', 'Account']);
	await listenerDesktop.goto(`${server.url}/admin/users`);
	await listenerDesktop.getByTestId('admins-only').waitFor();
	await screenshot(listenerDesktop, 'admins-only-desktop-dark');

	// ... and on their phone, with the new password.
	const listenerPhoneContext = await browser.newContext({ ...PHONE, colorScheme: 'dark' });
	const listenerPhone = await signIn(listenerPhoneContext, server.url, 'ffan', 'my own password 2');
	const listenerPhoneConsole = watchConsole(listenerPhone);
	await listenerPhone.getByRole('heading', { name: 'Scanner' }).waitFor();

	// A recorder uploads calls over the last hours; the dashboard counts them and draws them.
	const { key } = await api.admin.apiKeys.create.mutate({ name: 'e2e recorder' });
	const now = Math.floor(Date.now() / 1000);
	const uploads: Array<[number, number, number]> = [
		// [system, talkgroup, seconds ago]
		[1, 101, 60],
		[1, 101, 120],
		[1, 102, 180],
		[2, 201, 240],
		[1, 101, 3 * 3600],
		[2, 201, 3 * 3600 + 60],
		[1, 102, 7 * 3600],
		[1, 101, 20 * 3600]
	];
	for (const [system, talkgroup, ago] of uploads) {
		const reply = await post(
			`${server.url}/api/call-upload`,
			trunkRecorderForm({
				key,
				audio: fixture(WAV),
				audioName: WAV,
				audioType: 'audio/wav',
				dateTime: now - ago,
				system,
				systemLabel: '',
				talkgroup
			})
		);
		expect(reply.body).toBe('Call imported successfully.');
	}
	await adminNav.getByRole('link', { name: 'Dashboard' }).click();
	await admin.getByTestId('dashboard-tiles').waitFor();
	expect(await admin.getByTestId('calls-total').textContent()).toBe('8');
	const chart = admin.getByRole('img', {
		name: 'Calls per hour over the last 24 hours, by system'
	});
	expect(await chart.count()).toBe(1);
	// Buckets are whole clock hours, so which calls share one depends on when the test runs: work it out the same way.
	const hourOf = (ago: number) => Math.floor((now - ago) / 3600);
	const bars = new Set(uploads.map(([system, , ago]) => `${system}@${hourOf(ago)}`));
	const perHour = new Map<number, number>();
	for (const [, , ago] of uploads) perHour.set(hourOf(ago), (perHour.get(hourOf(ago)) ?? 0) + 1);
	const peak = Math.max(...perHour.values());
	expect(await chart.locator('desc').textContent()).toMatch(
		new RegExp(
			`^8 calls in the last 24 hours \\(County Fire 6, City Police 2\\)\\. Busiest hour: .+ with ${peak} calls\\.$`
		)
	);
	// One bar per system and hour with calls.
	expect(await chart.locator('rect').count()).toBe(bars.size);
	const busiest = admin.getByTestId('busiest-talkgroups').locator('tbody tr');
	expect(await busiest.first().textContent()).toContain('Fire Dispatch Main');
	expect(await busiest.allTextContents()).toHaveLength(3);
	await screenshot(admin, 'admin-dashboard-with-calls-desktop-light');

	// Devices: the admin signs the listener's phone out.
	await adminNav.getByRole('link', { name: 'Devices' }).click();
	const group = admin.locator('[data-testid=device-group][data-username=ffan]');
	await expect.poll(() => group.getByTestId('admin-device').count()).toBe(2);
	await screenshot(admin, 'admin-devices-before-desktop-light');
	await group.getByRole('button', { name: 'Sign out Chrome on Android of ffan' }).click();
	await admin
		.getByRole('dialog', { name: 'Sign out Chrome on Android of ffan?' })
		.getByRole('button', { name: 'Sign it out' })
		.click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe("ffan's Chrome on Android was signed out.");
	await expect.poll(() => group.getByTestId('admin-device').count()).toBe(1);

	// The phone sits on the scanner: its socket is closed 4003 at once, its one refresh is refused,
	// and it says an admin did it; the desktop stays signed in.
	await listenerPhone.getByTestId('signed-out').waitFor();
	expect(await listenerPhone.getByTestId('signed-out-reason').textContent()).toBe(
		'An admin signed you out.'
	);
	await screenshot(listenerPhone, 'admin-signed-out-phone-dark');
	await listenerDesktop.goto(`${server.url}/account`);
	await listenerDesktop.getByRole('heading', { name: 'Your account' }).waitFor();

	// "Sign out all" ends the listener's remaining device too, after a confirmation.
	await group.getByRole('button', { name: "Sign out all of ffan's devices" }).click();
	await admin
		.getByRole('dialog', { name: 'Sign out all devices of ffan?' })
		.getByRole('button', { name: 'Sign them out' })
		.click();
	await expect
		.poll(() => admin.getByTestId('status').textContent())
		.toBe('1 device of ffan signed out.');
	await expect.poll(() => group.count()).toBe(0);
	await listenerDesktop.reload();
	await listenerDesktop.getByTestId('signed-out').waitFor();
	expect(await listenerDesktop.getByTestId('signed-out-reason').textContent()).toBe(
		'An admin signed you out.'
	);

	const adminProblems = adminConsole.problems();
	expect(adminProblems.filter((m) => !refusal(m))).toEqual([]);
	expect(adminProblems.filter(refusal)).toHaveLength(refusals);
	// The refused refreshes are the expected 401s of the signed-out devices; nothing else may show.
	expect(listenerDesktopConsole.problems().filter((m) => !m.includes('401'))).toEqual([]);
	expect(listenerPhoneConsole.problems().filter((m) => !m.includes('401'))).toEqual([]);
	await Promise.all([
		adminContext.close(),
		listenerDesktopContext.close(),
		listenerPhoneContext.close()
	]);
});

it('every admin page at phone and desktop size, in light and dark, with a clean console', async () => {
	const pages: Array<[string, string, string]> = [
		['dashboard', '/admin', 'Dashboard'],
		['users', '/admin/users', 'Users'],
		['devices', '/admin/devices', 'Devices'],
		['keys', '/admin/keys', 'Upload keys'],
		['systems', '/admin/systems', 'Radio systems'],
		['forwarding', '/admin/forwarding', 'Forwarding'],
		['shares', '/admin/shares', 'Share links'],
		['settings', '/admin/settings', 'Settings'],
		['events', '/admin/events', 'Live events']
	];
	for (const [size, device] of [
		['desktop', DESKTOP],
		['phone', PHONE]
	] as const) {
		for (const colorScheme of ['light', 'dark'] as const) {
			const context: BrowserContext = await browser.newContext({ ...device, colorScheme });
			const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
			const log = watchConsole(page);
			for (const [name, path, heading] of pages) {
				await open(page, path, heading);
				if (name === 'systems') await page.getByTestId('system').first().waitFor();
				if (name === 'dashboard') await page.getByTestId('activity-chart').waitFor();
				if (name === 'users') await page.getByTestId('user-row').first().waitFor();
				await screenshot(page, `admin-${name}-${size}-${colorScheme}`);
				// Nothing is wider than the screen (tables scroll inside their own box).
				const overflow = await page.evaluate(
					() => document.documentElement.scrollWidth - document.documentElement.clientWidth
				);
				expect(overflow, `${name} overflows at ${size}`).toBeLessThanOrEqual(0);
				if (name === 'users') {
					await page.getByRole('button', { name: 'Edit ffan' }).click();
					await page.getByTestId('user-dialog').getByLabel('Username').waitFor();
					await screenshot(page, `admin-user-dialog-${size}-${colorScheme}`);
					await page.keyboard.press('Escape');
				}
			}
			expect(log.problems()).toEqual([]);
			await context.close();
		}
	}
});

it('the admin pages work from the keyboard: the nav, a dialog and Escape', async () => {
	const context = await browser.newContext({ ...DESKTOP, viewport: { width: 360, height: 740 } });
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const log = watchConsole(page);
	await open(page, '/admin/users', 'Users');
	await page.getByTestId('user-row').first().waitFor();
	await page.getByRole('button', { name: 'New user' }).focus();
	await page.keyboard.press('Enter');
	const dialog = page.getByTestId('user-dialog');
	await dialog.getByLabel('Username').waitFor();
	// The dialog takes the focus, and Escape closes it and gives the focus back.
	expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
	await page.keyboard.press('Escape');
	await expect.poll(() => dialog.isVisible()).toBe(false);
	expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New user');
	// Tab reaches the admin nav's links in order, and Enter follows one.
	await page
		.getByRole('navigation', { name: 'Admin' })
		.getByRole('link', { name: 'Users' })
		.focus();
	await page.keyboard.press('Tab');
	expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Devices');
	await page.keyboard.press('Enter');
	await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
	// At 360 px wide no page is wider than the screen.
	for (const [path, heading] of [
		['/admin', 'Dashboard'],
		['/admin/systems', 'Radio systems'],
		['/admin/settings', 'Settings'],
		['/admin/events', 'Live events']
	]) {
		await open(page, path, heading);
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow, `${path} overflows at 360 px`).toBeLessThanOrEqual(0);
	}
	expect(log.problems()).toEqual([]);
	await context.close();
});

/** The ids of the last events in the server's log, newest first, from `fromId` on. */
function loggedEventIds(fromId: number): string[] {
	const db = openServerDb(server.dataDir);
	try {
		return (
			db.prepare('select id from events where id >= ? order by id desc').all(fromId) as Array<{
				id: number;
			}>
		).map((r) => String(r.id));
	} finally {
		db.close();
	}
}

// Last: it restarts the server.
it('the live events feed shows sign-ins and sign-outs with their reasons, filters by type, and resumes after a restart without gaps or repeats', async () => {
	const context = await browser.newContext({ ...DESKTOP, colorScheme: 'dark' });
	const page = await signIn(context, server.url, ADMIN.username, ADMIN.password);
	const log = watchConsole(page);
	await open(page, '/admin/events', 'Live events');
	await expect
		.poll(() => page.getByTestId('feed-status').textContent(), { timeout: 15_000 })
		.toBe('Live');
	const rows = page.getByTestId('event');
	await expect.poll(() => rows.count()).toBeGreaterThan(0);

	// A new listener signs in on a phone: the admin sees it arrive.
	const { id: userId } = await api.admin.users.create.mutate({
		username: 'evt',
		password: 'evt password 1',
		role: 'listener',
		mustChangePassword: false
	});
	const phoneContext = await browser.newContext(PHONE);
	await signIn(phoneContext, server.url, 'evt', 'evt password 1');
	const signedIn = rows.filter({ hasText: 'Chrome on Android' }).filter({ hasText: 'evt' });
	await expect.poll(() => signedIn.count(), { timeout: 15_000 }).toBe(1);
	expect(await signedIn.getAttribute('data-type')).toBe('session.created');

	// The admin signs the phone out: the feed says so, with the reason.
	const [phoneSession] = await api.admin.sessions.list.query({ userId });
	await api.admin.sessions.revoke.mutate({ id: phoneSession.id });
	const revoked = rows
		.filter({ hasText: 'Reason: admin — by an admin' })
		.filter({ hasText: 'evt' });
	await expect.poll(() => revoked.count(), { timeout: 15_000 }).toBe(1);
	expect(await revoked.getAttribute('data-type')).toBe('session.revoked');

	// Filter: only sign-outs.
	await page.getByRole('button', { name: 'None' }).click();
	await page.getByLabel('Signed out').check();
	await expect
		.poll(async () => [
			...new Set(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-type'))))
		])
		.toEqual(['session.revoked']);
	await screenshot(page, 'admin-events-filtered-desktop-dark');
	await page.getByRole('button', { name: 'All' }).click();

	// The server restarts; something happens before the page is back; the feed catches up.
	const firstShown = Number(await rows.last().getAttribute('data-id'));
	await server.restart();
	await api.admin.users.update.mutate({ id: userId, disabled: true });
	await expect
		.poll(() => rows.filter({ hasText: 'changed: disabled' }).count(), { timeout: 30_000 })
		.toBe(1);
	await expect
		.poll(() => page.getByTestId('feed-status').textContent(), { timeout: 30_000 })
		.toBe('Live');
	// Exactly the server's log from the first event shown on: nothing missing, nothing twice, newest first.
	await expect
		.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), {
			timeout: 15_000
		})
		.toEqual(loggedEventIds(firstShown));
	await screenshot(page, 'admin-events-desktop-dark');

	// While the server was down the browser reported the refused connections; nothing else may show.
	const down = (m: string) =>
		/WebSocket connection to '.*' failed|net::ERR_CONNECTION_REFUSED/.test(m);
	expect(log.problems().filter((m) => !down(m))).toEqual([]);
	await Promise.all([context.close(), phoneContext.close()]);
});

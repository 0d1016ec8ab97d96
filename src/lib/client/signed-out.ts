/** Why this device is no longer signed in, in words a listener understands. */
export function signedOutMessage(reason: string | null, maxSessions = 20): string {
	switch (reason) {
		case 'cap':
			return `You signed in on more than ${maxSessions} devices; this one was signed out.`;
		case 'admin':
			return 'An admin signed you out.';
		case 'logout':
			return 'This device was signed out from another of your devices.';
		case 'password':
			return 'Your password was changed, so other devices were signed out.';
		case 'disabled':
			return 'Your account was disabled.';
		case 'reuse':
			return 'Your sign-in was used from two places at once, so it was ended for safety.';
		case 'expired':
			return 'Your sign-in expired.';
		default:
			return 'You were signed out.';
	}
}
